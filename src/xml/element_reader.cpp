#include "xml/element_reader.h"

#include "xml/expat.h"

namespace boshd::xml {

namespace {

struct Reader {
    ElementSummary summary;
    int depth = 0;

    static void on_start(void* self, const XML_Char* name, const XML_Char**) {
        auto* r = static_cast<Reader*>(self);
        if (++r->depth == 2) {
            const QName q = split_qname(name);
            r->summary.children.push_back({std::string(q.ns), std::string(q.local)});
        }
    }
    static void on_end(void* self, const XML_Char*) { --static_cast<Reader*>(self)->depth; }
    static void on_text(void* self, const XML_Char* s, int len) {
        auto* r = static_cast<Reader*>(self);
        if (r->depth == 1) {
            r->summary.text.append(s, static_cast<std::size_t>(len));
        }
    }
};

} // namespace

std::optional<ElementSummary> read_element(std::string_view bytes) {
    Reader reader;
    auto parser = make_expat_parser();
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
