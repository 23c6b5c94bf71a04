#include "svc/file_text.h"

#include <array>
#include <cerrno>
#include <cstdio>
#include <memory>

namespace boshd::svc {

FileText read_file(const std::string& path) {
    const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                               &std::fclose);
    FileText out;
    if (!file) {
        out.error = errno;
        return out;
    }
    std::array<char, 4096> buf{};
    std::size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), file.get())) > 0) {
        out.text.append(buf.data(), n);
    }
    if (std::ferror(file.get()) != 0) {
        out.error = errno != 0 ? errno : EIO;
        out.text.clear();
    }
    return out;
}

} // namespace boshd::svc
