#include "conformance/xml_tree.h"

#include <utility>

namespace boshd::conformance {

const Attr* Node::attr(std::string_view want_ns, std::string_view want_local) const {
    for (const auto& a : attrs) {
        if (a.ns == want_ns && a.local == want_local) {
            return &a;
        }
    }
    return nullptr;
}

std::string Node::name() const {
    return ns.empty() ? local : "{" + ns + "}" + local;
}

namespace {

// Builds nodes from expat callbacks. |top| is the depth whose elements are
// reported whole (0: the document element; 2: children of <stream:stream>).
struct Builder {
    explicit Builder(std::size_t top_depth) : top(top_depth) {}

    std::size_t top;
    XML_Parser parser = nullptr;
    const std::string* doc = nullptr; // the bytes fed to this parser so far
    std::vector<Node> stack;
    std::size_t depth = 0;
    std::uint64_t begin = 0;
    std::vector<StreamItem>* out = nullptr;
    std::optional<Node> document;

    static Node make(const XML_Char* name, const XML_Char** attrs) {
        Node n;
        auto q = xml::split_qname(name);
        n.ns = q.ns;
        n.local = q.local;
        for (auto a = attrs; *a; a += 2) {
            auto aq = xml::split_qname(a[0]);
            n.attrs.push_back({std::string(aq.ns), std::string(aq.local), a[1]});
        }
        return n;
    }

    static void XMLCALL on_start(void* ud, const XML_Char* name, const XML_Char** attrs) {
        auto& b = *static_cast<Builder*>(ud);
        ++b.depth;
        Node n = make(name, attrs);
        if (b.top == 2 && b.depth == 1) {
            b.out->push_back({StreamItem::Kind::Header, std::move(n)});
            return;
        }
        if (b.depth == std::max<std::size_t>(b.top, 1)) {
            b.begin = static_cast<std::uint64_t>(XML_GetCurrentByteIndex(b.parser));
        }
        b.stack.push_back(std::move(n));
    }

    static void XMLCALL on_end(void* ud, const XML_Char*) {
        auto& b = *static_cast<Builder*>(ud);
        const auto depth = b.depth--;
        if (b.top == 2 && depth == 1) {
            b.out->push_back({StreamItem::Kind::Close, {}});
            return;
        }
        Node n = std::move(b.stack.back());
        b.stack.pop_back();
        if (!b.stack.empty()) {
            b.stack.back().children.push_back(std::move(n));
            return;
        }
        const auto end = static_cast<std::uint64_t>(XML_GetCurrentByteIndex(b.parser)) +
                         static_cast<std::uint64_t>(XML_GetCurrentByteCount(b.parser));
        n.raw = b.doc->substr(b.begin, end - b.begin);
        if (b.top == 2) {
            b.out->push_back({StreamItem::Kind::Element, std::move(n)});
        } else {
            b.document = std::move(n);
        }
    }

    static void XMLCALL on_text(void* ud, const XML_Char* s, int len) {
        auto& b = *static_cast<Builder*>(ud);
        if (!b.stack.empty()) {
            b.stack.back().text.append(s, static_cast<std::size_t>(len));
        }
    }

    void attach(XML_Parser p) {
        parser = p;
        XML_SetUserData(p, this);
        XML_SetElementHandler(p, on_start, on_end);
        XML_SetCharacterDataHandler(p, on_text);
    }
};

std::string expat_error(XML_Parser p) {
    return std::string(XML_ErrorString(XML_GetErrorCode(p))) + " at line " +
           std::to_string(XML_GetCurrentLineNumber(p)) + " column " +
           std::to_string(XML_GetCurrentColumnNumber(p));
}

} // namespace

std::optional<Node> parse_document(std::string_view text, std::string& error) {
    auto parser = xml::make_expat_parser();
    Builder b(0);
    const std::string doc(text);
    b.doc = &doc;
    b.attach(parser.get());
    if (XML_Parse(parser.get(), doc.data(), static_cast<int>(doc.size()), XML_TRUE) !=
        XML_STATUS_OK) {
        error = expat_error(parser.get());
        return std::nullopt;
    }
    return std::move(b.document);
}

struct StreamReader::State {
    xml::ExpatParser parser = xml::make_expat_parser();
    std::string doc;
    Builder builder{2};
};

StreamReader::StreamReader() {
    restart();
}
StreamReader::~StreamReader() = default;

void StreamReader::restart() {
    state_ = std::make_unique<State>();
    state_->builder.doc = &state_->doc;
    state_->builder.attach(state_->parser.get());
}

bool StreamReader::feed(std::string_view bytes, std::vector<StreamItem>& out) {
    // Cut at every XML declaration: what follows is a new document.
    for (auto decl = bytes.find("<?xml", 1); decl != std::string_view::npos;
         decl = bytes.find("<?xml", 1)) {
        if (!feed_document(bytes.substr(0, decl), out)) {
            return false;
        }
        restart();
        bytes.remove_prefix(decl);
    }
    if (bytes.starts_with("<?xml") && !state_->doc.empty()) {
        restart();
    }
    return feed_document(bytes, out);
}

bool StreamReader::feed_document(std::string_view bytes, std::vector<StreamItem>& out) {
    if (!error_.empty()) {
        return false;
    }
    state_->doc.append(bytes);
    state_->builder.out = &out;
    if (XML_Parse(state_->parser.get(), bytes.data(), static_cast<int>(bytes.size()), XML_FALSE) !=
        XML_STATUS_OK) {
        error_ = expat_error(state_->parser.get());
        return false;
    }
    return true;
}

} // namespace boshd::conformance
