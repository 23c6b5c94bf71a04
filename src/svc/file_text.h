// The whole of a file, read at once: the configuration, small /proc files,
// committed copies of generated documents. Adapter-side only (the core does
// no I/O).
#pragma once

#include <string>

namespace boshd::svc {

struct FileText {
    std::string text;
    int error = 0; // errno when the file could not be opened or read; 0 when read
};

// Reads |path|. A directory opens fine and fails on the first read (EISDIR),
// so it reports that error too. |error| is taken before the file is closed,
// which may change errno.
FileText read_file(const std::string& path);

} // namespace boshd::svc
