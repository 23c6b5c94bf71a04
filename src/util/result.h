// A value or an error, for fallible operations inside the engine where an
// exception would cross a C callback (ARCHITECTURE.md §1). std::expected needs
// C++23 and clang 14 cannot parse libstdc++'s <expected>, so this small type.
#pragma once

#include <utility>
#include <variant>

namespace boshd::util {

template <typename E> struct Failure { E error; };

template <typename E> Failure<std::decay_t<E>> fail(E&& e) {
    return {std::forward<E>(e)};
}

template <typename T, typename E> class Result {
public:
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
    Result(Failure<E> f) : v_(std::in_place_index<1>, std::move(f.error)) {}

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T* operator->() { return &std::get<0>(v_); }
    const T* operator->() const { return &std::get<0>(v_); }

    const E& error() const { return std::get<1>(v_); }

private:
    std::variant<T, E> v_;
};

} // namespace boshd::util
