#include "xmpp/stream_parser.h"

#include "xml/writer.h"

#include <climits>

namespace boshd::xmpp {

namespace {

bool is_xml_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

constexpr std::string_view kXmlNs = "http://www.w3.org/XML/1998/namespace";
constexpr std::string_view kTooLarge = "stanza larger than backend.max_stanza_size";

std::string name_as_written(const xml::QName& q) {
    return q.prefix.empty() ? std::string(q.local)
                            : std::string(q.prefix) + ":" + std::string(q.local);
}

} // namespace

struct StreamParser::Callbacks {
    static StreamParser& self(void* user) { return *static_cast<StreamParser*>(user); }

    static void fail(StreamParser& p, std::string reason) {
        if (!p.done_) {
            p.done_ = true;
            p.out_->push_back(StreamBroken{std::move(reason)});
        }
        XML_StopParser(p.parser_.get(), XML_FALSE);
    }

    static std::uint64_t offset(StreamParser& p) {
        return static_cast<std::uint64_t>(XML_GetCurrentByteIndex(p.parser_.get()));
    }

    // Bytes before the end of the last reported event have been parsed; a
    // token expat is still waiting to complete starts at or after it.
    static std::uint64_t note_event_end(StreamParser& p) {
        p.parsed_up_to_ =
            offset(p) + static_cast<std::uint64_t>(XML_GetCurrentByteCount(p.parser_.get()));
        return p.parsed_up_to_;
    }

    static void XMLCALL start(void* user, const XML_Char* name, const XML_Char** attrs) {
        auto& p = self(user);
        if (p.done_) {
            return;
        }
        const auto q = xml::split_qname(name);
        const auto event_end = note_event_end(p);
        if (p.depth_ == 0 && p.resuming_) {
            p.scanner_.on_wrapper_start(); // the same declarations as the real header
            ++p.depth_;
            return;
        }
        if (p.depth_ == 0) {
            if (q.ns != xml::kStreamsNs || q.local != "stream") {
                return fail(p, "root element is not <stream:stream>");
            }
            // feed() bounds what is buffered only after XML_Parse returns, so
            // a header that arrived whole in one read is measured here.
            if (event_end - p.base_ > p.max_element_size_) {
                return fail(p, std::string(kTooLarge));
            }
            StreamHeader h;
            for (const XML_Char** a = attrs; *a; a += 2) {
                const auto an = xml::split_qname(a[0]);
                if (an.ns.empty() && an.local == "id") {
                    h.id = a[1];
                } else if (an.ns.empty() && an.local == "from") {
                    h.from = a[1];
                } else if (an.ns.empty() && an.local == "version") {
                    h.version = a[1];
                } else if (an.ns == kXmlNs && an.local == "lang") {
                    h.lang = a[1];
                }
            }
            p.scanner_.on_wrapper_start();
            p.resume_header_ = "<" + std::string(name_as_written(q));
            for (const auto& d : p.scanner_.wrapper_decls()) {
                xml::append_attribute(p.resume_header_,
                                      d.prefix.empty() ? "xmlns" : "xmlns:" + d.prefix, d.uri);
            }
            p.resume_header_ += '>';
            p.out_->push_back(StreamOpened{std::move(h)});
        } else {
            p.scanner_.on_start(p.depth_, q, attrs, offset(p));
        }
        ++p.depth_;
    }

    static void XMLCALL end(void* user, const XML_Char*) {
        auto& p = self(user);
        if (p.done_) {
            return;
        }
        --p.depth_;
        if (p.depth_ == 0) {
            p.done_ = true;
            p.out_->push_back(StreamEnded{});
            XML_StopParser(p.parser_.get(), XML_FALSE);
            return;
        }
        const auto end_offset = note_event_end(p);
        p.scanner_.on_end(p.depth_, end_offset);
        if (p.depth_ == 1) {
            const auto begin = p.scanner_.fragment_begin();
            // Likewise for a stanza that arrived whole: without this check any
            // size passed as long as one read held all of it.
            if (end_offset - begin > p.max_element_size_) {
                return fail(p, std::string(kTooLarge));
            }
            const auto raw =
                std::string_view(p.buffer_).substr(begin - p.base_, end_offset - begin);
            p.out_->push_back(StreamElement{p.scanner_.take_fragment(raw)});
        }
    }

    static void XMLCALL text(void* user, const XML_Char* s, int len) {
        auto& p = self(user);
        note_event_end(p);
        // Between stanzas only whitespace (keepalives) may appear.
        if (p.depth_ == 1) {
            for (int i = 0; i < len; ++i) {
                if (!is_xml_space(s[i])) {
                    return fail(p, "character data between stanzas");
                }
            }
        }
    }

    static void XMLCALL ns_decl(void* user, const XML_Char* prefix, const XML_Char* uri) {
        self(user).scanner_.on_namespace_decl(prefix, uri);
    }

    // RFC 6120 §11.1: no DTDs, comments or processing instructions in a stream,
    // so none can reach a reply to the client either (C124-6-04; elements are
    // passed on only once complete).
    static void XMLCALL doctype(void* user, const XML_Char*, const XML_Char*, const XML_Char*,
                                int) {
        fail(self(user), "DOCTYPE in the stream");
    }
    static void XMLCALL comment(void* user, const XML_Char*) {
        fail(self(user), "comment in the stream");
    }
    static void XMLCALL pi(void* user, const XML_Char*, const XML_Char*) {
        fail(self(user), "processing instruction in the stream");
    }
};

StreamParser::StreamParser(std::size_t max_element_size)
    : max_element_size_(max_element_size), scanner_(true, xml::kStreamsNs) {
    create_parser();
}

void StreamParser::create_parser() {
    parser_ = xml::make_expat_parser();
    auto* p = parser_.get();
    XML_SetUserData(p, this);
    XML_SetElementHandler(p, Callbacks::start, Callbacks::end);
    XML_SetCharacterDataHandler(p, Callbacks::text);
    XML_SetStartNamespaceDeclHandler(p, Callbacks::ns_decl);
    XML_SetStartDoctypeDeclHandler(p, Callbacks::doctype);
    XML_SetCommentHandler(p, Callbacks::comment);
    XML_SetProcessingInstructionHandler(p, Callbacks::pi);
}

// A fresh parser that stands where the old one stood: inside the stream
// element, with its namespaces in scope. Offsets continue after the primer.
void StreamParser::resume() {
    create_parser();
    resuming_ = true;
    depth_ = 0;
    XML_Parse(parser_.get(), resume_header_.data(), static_cast<int>(resume_header_.size()),
              XML_FALSE);
    resuming_ = false;
    base_ = parsed_up_to_;
}

void StreamParser::reset() {
    create_parser();
    resume_header_.clear();
    scanner_.reset();
    buffer_.clear();
    buffer_.shrink_to_fit();
    base_ = 0;
    parsed_up_to_ = 0;
    depth_ = 0;
    done_ = false;
}

void StreamParser::feed(std::string_view bytes, std::vector<StreamEvent>& out) {
    if (done_ || bytes.empty()) {
        return;
    }
    if (!parser_) {
        resume();
    }
    out_ = &out;
    // Keep the bytes until the element they belong to is complete: the
    // fragment is cut from this buffer, not rebuilt from parser callbacks.
    buffer_.append(bytes);
    while (!bytes.empty() && !done_) {
        const auto chunk = bytes.substr(0, std::min<std::size_t>(bytes.size(), INT_MAX));
        bytes.remove_prefix(chunk.size());
        if (XML_Parse(parser_.get(), chunk.data(), static_cast<int>(chunk.size()), XML_FALSE) !=
                XML_STATUS_OK &&
            !done_) {
            done_ = true;
            std::string reason = "malformed XML: ";
            reason += XML_ErrorString(XML_GetErrorCode(parser_.get()));
            out.push_back(StreamBroken{std::move(reason)});
        }
    }
    out_ = nullptr;
    if (done_) {
        buffer_.clear();
        return;
    }
    // Drop what no pending element needs; bound what one element may hold.
    const std::uint64_t keep_from = depth_ > 1 ? scanner_.fragment_begin() : parsed_up_to_;
    buffer_.erase(0, static_cast<std::size_t>(keep_from - base_));
    base_ = keep_from;
    if (buffer_.size() > max_element_size_) {
        done_ = true;
        buffer_.clear();
        out.push_back(StreamBroken{std::string(kTooLarge)});
        return;
    }
    if (depth_ == 1 && buffer_.empty()) {
        // Between stanzas, nothing pending: let the parser go until the next burst.
        parser_.reset();
        buffer_.shrink_to_fit();
    }
}

} // namespace boshd::xmpp
