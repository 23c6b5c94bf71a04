// A tiny namespace-resolved element tree built by expat, shared by the
// scenario runner's three readers: patterns, CM replies and the bytes the CM
// writes to the fake XMPP server. Names are (namespace URI, local name) so
// that patterns never depend on the prefixes either side chose.
#pragma once

#include "xml/expat.h"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace boshd::conformance {

struct Attr {
    std::string ns; // empty for unqualified attributes
    std::string local;
    std::string value;
};

struct Node {
    std::string ns;
    std::string local;
    std::vector<Attr> attrs;
    std::vector<Node> children;
    std::string text; // the element's own character data, concatenated
    std::string raw;  // the bytes as received (top-level stream elements only)

    const Attr* attr(std::string_view ns, std::string_view local) const;
    std::string name() const; // "{ns}local", for messages
};

// Parses one complete document; on failure returns nullopt and sets |error|.
std::optional<Node> parse_document(std::string_view text, std::string& error);

// What a fake server reads from one client-to-server stream.
struct StreamItem {
    enum class Kind { Header, Element, Close } kind;
    Node node; // the header (without children) or the element
};

// Incremental reader of an XMPP stream written by the CM: reports each
// <stream:stream> header, each top-level element and the closing tag. A new
// XML declaration starts a new document (a restart or TLS resets the stream,
// RFC 6120 §4.3.3; "<?xml" cannot occur inside a document).
class StreamReader {
public:
    StreamReader();
    ~StreamReader();
    StreamReader(const StreamReader&) = delete;
    StreamReader& operator=(const StreamReader&) = delete;

    // Appends what |bytes| completed to |out|; returns false (and sets
    // error()) if the stream is not well-formed.
    bool feed(std::string_view bytes, std::vector<StreamItem>& out);
    const std::string& error() const { return error_; }

private:
    struct State;
    bool feed_document(std::string_view bytes, std::vector<StreamItem>& out);
    void restart();

    std::unique_ptr<State> state_;
    std::string error_;
};

} // namespace boshd::conformance
