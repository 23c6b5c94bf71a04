// The in-process scenario runner: plays one scenario (xep/FORMAT.md) against
// bosh::Engine with a manual clock, as the client and, through FakeServer, as
// the XMPP server. No sockets, no sleeping: `advance` moves virtual time.
#pragma once

#include "conformance/scenario.h"
#include "svc/config.h"

#include <string>

namespace boshd::conformance {

// The boshd configuration a scenario runs under: the defaults of
// conf/boshd.toml, its `config` table applied through the real config parser
// (flat keys are [session] keys, a `backend` table holds [backend] keys), and
// one plain-TCP route for example.com. Throws svc::ConfigError.
svc::Config scenario_config(const Scenario& s);

// Runs |s|. Returns an empty string when it passed, otherwise a report that
// names the step (index and text), what was expected and what happened.
std::string run_scenario(const Scenario& s);

} // namespace boshd::conformance
