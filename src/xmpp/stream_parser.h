// Incremental parser for the XML stream an XMPP server sends (RFC 6120 §4),
// fed as bytes arrive. It reports the stream header, each top-level element
// as a namespace-complete Fragment (the bytes the server sent, never
// re-serialised) and the end of the stream. Only the stream boundaries are
// parsed for meaning; stanzas are opaque.
#pragma once

#include "xml/expat.h"
#include "xml/fragment.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace boshd::xmpp {

struct StreamHeader {
    std::string id;
    std::string from;
    std::string version;
    std::string lang;
};

struct StreamOpened {
    StreamHeader header;
};
struct StreamElement {
    xml::Fragment element;
};
struct StreamEnded {};
struct StreamBroken {
    std::string reason; // for the log
};
using StreamEvent = std::variant<StreamOpened, StreamElement, StreamEnded, StreamBroken>;

class StreamParser {
public:
    // |max_element_size|: bytes of one top-level element (and of the header);
    // beyond it the stream is broken rather than buffered without bound.
    explicit StreamParser(std::size_t max_element_size);

    StreamParser(const StreamParser&) = delete;
    StreamParser& operator=(const StreamParser&) = delete;

    // Parses |bytes| and appends what happened to |out|. After StreamEnded or
    // StreamBroken nothing more is reported until reset().
    void feed(std::string_view bytes, std::vector<StreamEvent>& out);

    // Forgets the current stream: the next bytes start a new document (after
    // STARTTLS and after a stream restart, RFC 6120 §4.3.3).
    void reset();

    // True while no expat parser is allocated (between bursts of stanzas).
    bool hibernating() const { return !parser_; }

private:
    struct Callbacks;
    void create_parser();
    void resume();

    // expat's state for one stream is about 12 KB once the header is in,
    // most of an idle session's memory. Between stanzas nothing of it is
    // needed but the namespaces the header declared, so the parser is freed
    // after every burst that ends between stanzas and re-created on the next
    // one, primed with |resume_header_|: the header's element name and
    // namespace declarations, without attributes.
    xml::ExpatParser parser_;
    std::string resume_header_;
    bool resuming_ = false;
    std::size_t max_element_size_;
    xml::FragmentScanner scanner_;
    std::string buffer_; // unconsumed bytes, starting at absolute offset base_
    std::uint64_t base_ = 0;
    std::uint64_t parsed_up_to_ = 0; // end of the last event expat reported
    std::size_t depth_ = 0;
    bool done_ = false;
    std::vector<StreamEvent>* out_ = nullptr; // valid during feed()
};

} // namespace boshd::xmpp
