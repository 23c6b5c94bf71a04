// The configuration's documentation, rendered from the key table
// (config_keys.h) in three forms: the reference (conf/CONFIG.md), the
// annotated file (conf/boshd.toml) and the manual page boshd.toml(5).
// `boshd-config-docs` writes them; the `config-docs` suite fails when a
// committed copy differs from what the table gives.
#pragma once

#include <string>
#include <string_view>

namespace boshd::svc::docs {

std::string reference_markdown();
std::string annotated_toml();
// |version| goes into the page's footer ("boshd 0.1.0").
std::string manual_page(std::string_view version);

} // namespace boshd::svc::docs
