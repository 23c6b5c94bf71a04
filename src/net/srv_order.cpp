#include "net/srv_order.h"

#include <algorithm>
#include <array>

namespace boshd::net {

bool srv_service_refused(const std::vector<SrvRecord>& records) {
    return records.size() == 1 && records.front().target == ".";
}

std::uint32_t draw_upto(util::Random& random, std::uint32_t bound) {
    std::array<std::uint8_t, 8> bytes{};
    random.fill(bytes);
    std::uint64_t value = 0;
    for (const auto b : bytes) {
        value = (value << 8) | b;
    }
    // 64 random bits over at most 2^32 outcomes: the modulo bias is below
    // 2^-32, irrelevant for spreading load.
    return static_cast<std::uint32_t>(value % (static_cast<std::uint64_t>(bound) + 1));
}

std::vector<SrvRecord> order_srv(std::vector<SrvRecord> records, util::Random& random) {
    std::erase_if(records, [](const SrvRecord& r) { return r.target == "."; });
    // Stable, so that records of one priority keep the order they came in.
    std::stable_sort(records.begin(), records.end(),
                     [](const auto& a, const auto& b) { return a.priority < b.priority; });
    std::vector<SrvRecord> out;
    out.reserve(records.size());
    auto group = records.begin();
    while (group != records.end()) {
        auto end = std::find_if(group, records.end(),
                                [&](const auto& r) { return r.priority != group->priority; });
        // RFC 2782: those of weight 0 first, so that they are picked only when
        // the draw is 0 (a small chance when others weigh more, a certainty
        // when all weigh 0).
        std::stable_partition(group, end, [](const auto& r) { return r.weight == 0; });
        std::vector<SrvRecord> left(std::make_move_iterator(group), std::make_move_iterator(end));
        while (!left.empty()) {
            std::uint32_t total = 0;
            for (const auto& r : left) {
                total += r.weight; // at most 65535 records of 65535: fits 32 bits
            }
            const std::uint32_t pick = draw_upto(random, total);
            std::uint32_t running = 0;
            auto chosen = left.begin();
            for (auto it = left.begin(); it != left.end(); ++it) {
                running += it->weight;
                if (running >= pick) {
                    chosen = it;
                    break;
                }
            }
            out.push_back(std::move(*chosen));
            left.erase(chosen);
        }
        group = end;
    }
    return out;
}

} // namespace boshd::net
