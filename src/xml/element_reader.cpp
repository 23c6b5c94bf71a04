#include "xml/element_reader.h"

#include "xml/expat.h"

namespace boshd::xml {

namespace {

struct Reader {
    XML_Parser parser = nullptr;
    ElementSummary summary;
    int depth = 0;

    // Where the event being reported ends in the input. For the end of an
    // empty-element tag expat reports no bytes of its own: the tag ended
    // with the start event, which set |end| already.
    std::size_t event_end() const {
        return static_cast<std::size_t>(XML_GetCurrentByteIndex(parser)) +
               static_cast<std::size_t>(XML_GetCurrentByteCount(parser));
    }

    static void on_start(void* self, const XML_Char* name, const XML_Char**) {
        auto* r = static_cast<Reader*>(self);
        if (++r->depth == 2) {
            const QName q = split_qname(name);
            const auto begin = static_cast<std::size_t>(XML_GetCurrentByteIndex(r->parser));
            r->summary.children.push_back(
                {std::string(q.ns), std::string(q.local), begin, r->event_end(), {}});
        }
    }
    static void on_end(void* self, const XML_Char*) {
        auto* r = static_cast<Reader*>(self);
        if (r->depth-- == 2 && XML_GetCurrentByteCount(r->parser) > 0) {
            r->summary.children.back().end = r->event_end();
        }
    }
    static void on_text(void* self, const XML_Char* s, int len) {
        auto* r = static_cast<Reader*>(self);
        if (r->depth == 1) {
            r->summary.text.append(s, static_cast<std::size_t>(len));
        } else if (r->depth == 2) {
            r->summary.children.back().text.append(s, static_cast<std::size_t>(len));
        }
    }
};

} // namespace

std::optional<ElementSummary> read_element(std::string_view bytes) {
    Reader reader;
    auto parser = make_expat_parser();
    reader.parser = parser.get();
    XML_SetUserData(parser.get(), &reader);
    XML_SetElementHandler(parser.get(), &Reader::on_start, &Reader::on_end);
    XML_SetCharacterDataHandler(parser.get(), &Reader::on_text);
    if (XML_Parse(parser.get(), bytes.data(), static_cast<int>(bytes.size()), XML_TRUE) !=
        XML_STATUS_OK) {
        return std::nullopt;
    }
    return std::move(reader.summary);
}

} // namespace boshd::xml
