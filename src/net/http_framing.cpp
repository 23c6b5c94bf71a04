#include "net/http_framing.h"

#include "util/ascii.h"

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

namespace boshd::net {

std::optional<FramingRefusal> refuse_framing(evhttp_request* req) {
    std::size_t lines = 0;
    std::size_t lengths = 0;
    bool transfer_encoding = false;
    const evkeyvalq* headers = evhttp_request_get_input_headers(req);
    for (const evkeyval* h = headers->tqh_first; h != nullptr; h = h->next.tqe_next) {
        ++lines;
        const std::string_view name = h->key;
        lengths += util::ascii::iequals(name, "Content-Length") ? 1 : 0;
        transfer_encoding = transfer_encoding || util::ascii::iequals(name, "Transfer-Encoding");
    }
    if (lines > kMaxHeaderLines) {
        return FramingRefusal{431, "Request Header Fields Too Large", "too many header lines"};
    }
    if (lengths > 1) {
        return FramingRefusal{400, "Bad Request", "more than one Content-Length"};
    }
    if (transfer_encoding) {
        return FramingRefusal{400, "Bad Request", "Transfer-Encoding"};
    }
    return std::nullopt;
}

} // namespace boshd::net
