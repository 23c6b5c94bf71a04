// boshd-config-docs: writes the configuration's documentation from the key
// table, or checks that the committed copies are current.
//
//   boshd-config-docs --write DIR   writes DIR/conf/CONFIG.md, DIR/conf/boshd.toml
//                                   and DIR/man/boshd.toml.5
//   boshd-config-docs --check DIR   exit 1, naming each stale file, when one differs
//
// Not installed: it is part of the build and of the `config-docs` suite.
#include "svc/config_docs.h"
#include "svc/file_text.h"

#include <cstdio>
#include <fstream>
#include <string>
#include <string_view>

namespace {

struct Output {
    const char* path; // relative to the source root
    std::string text;
};

} // namespace

int main(int argc, char** argv) {
    const std::string_view mode = argc == 3 ? argv[1] : "";
    if (mode != "--write" && mode != "--check") {
        std::fputs("usage: boshd-config-docs --write|--check SOURCE_ROOT\n", stderr);
        return 64;
    }
    const bool write = mode == "--write";
    const std::string root = argv[2];
    const Output outputs[] = {
        {"conf/CONFIG.md", boshd::svc::docs::reference_markdown()},
        {"conf/boshd.toml", boshd::svc::docs::annotated_toml()},
        {"man/boshd.toml.5", boshd::svc::docs::manual_page(BOSHD_VERSION)},
    };
    int stale = 0;
    int current = 0;
    for (const auto& out : outputs) {
        const std::string path = root + "/" + out.path;
        if (write) {
            std::ofstream(path, std::ios::binary) << out.text;
            std::printf("wrote %s\n", out.path);
        } else if (boshd::svc::read_file(path).text != out.text) {
            std::printf("not ok - %s is stale: run build/src/boshd-config-docs --write .\n",
                        out.path);
            ++stale;
        } else {
            std::printf("ok - %s is current\n", out.path);
            ++current;
        }
    }
    if (!write) {
        std::printf("%d passed, %d failed\n", current, stale);
    }
    return stale == 0 ? 0 : 1;
}
