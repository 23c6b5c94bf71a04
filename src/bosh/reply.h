// An HTTP reply the engine has decided on, and the builder for its <body/>.
// Replies are immutable and shared: the same object is sent and kept in the
// response cache, so a repeated rid gets a byte-identical answer, headers
// included (C124-14.3-02).
#pragma once

#include "bosh/condition.h"
#include "xml/fragment.h"

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace boshd::bosh {

inline constexpr std::string_view kDefaultContentType = "text/xml; charset=utf-8";

struct Reply {
    int status = 200;
    std::string content_type;
    std::string body;
};
using ReplyPtr = std::shared_ptr<const Reply>;

// Builds one <body xmlns='http://jabber.org/protocol/httpbind'/> document.
// Attributes first, then payloads; finish() seals it.
class BodyBuilder {
public:
    BodyBuilder();

    BodyBuilder& attribute(std::string_view qname, std::string_view value);
    BodyBuilder& attribute(std::string_view qname, std::uint64_t value);
    BodyBuilder& terminate(Condition c);

    // Appends the fragments as they are. Declares xmlns:stream on <body/> when
    // one of them needs it (C206-2-02); must be the last call before finish().
    BodyBuilder& payloads(std::span<const xml::Fragment> fragments);

    std::string finish(); // moves the document out; the builder is spent

private:
    std::string out_;
    bool open_ = true;
};

ReplyPtr make_reply(std::string body, std::string_view content_type, int status = 200);

} // namespace boshd::bosh
