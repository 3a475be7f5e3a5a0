// flow/rt/status.h - errors returned by the runtime: a code and a message, never exceptions.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace flow::rt {

enum class StatusCode {
    Ok,
    InvalidArgument,  // bad input from a caller (a malformed record, a bad option)
    Corruption,       // a checksum or structure check failed on stored data
    IoError,          // the operating system refused (ENOSPC, EIO, ...)
    NotFound,
    OutOfRange,   // an offset before the first retained record or past the end
    Unavailable,  // not yet: a reader is ahead of the writer
    Failed,       // the log stopped accepting writes after an unrecoverable error
};

class [[nodiscard]] Status {
public:
    Status() = default;
    Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

    static Status ok() { return {}; }
    static Status invalid(std::string m) { return {StatusCode::InvalidArgument, std::move(m)}; }
    static Status corruption(std::string m) { return {StatusCode::Corruption, std::move(m)}; }
    static Status io(std::string m) { return {StatusCode::IoError, std::move(m)}; }
    static Status notFound(std::string m) { return {StatusCode::NotFound, std::move(m)}; }
    static Status outOfRange(std::string m) { return {StatusCode::OutOfRange, std::move(m)}; }
    static Status unavailable(std::string m) { return {StatusCode::Unavailable, std::move(m)}; }
    static Status failed(std::string m) { return {StatusCode::Failed, std::move(m)}; }

    bool isOk() const { return code_ == StatusCode::Ok; }
    explicit operator bool() const { return isOk(); }
    StatusCode code() const { return code_; }
    const std::string& message() const { return message_; }
    std::string toString() const;

private:
    StatusCode code_ = StatusCode::Ok;
    std::string message_;
};

/// A value or the Status explaining why there is none.
template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
    Result(Status s) : v_(std::move(s)) {}     // NOLINT
    bool isOk() const { return std::holds_alternative<T>(v_); }
    explicit operator bool() const { return isOk(); }
    const Status& status() const {
        static const Status kOk;
        return isOk() ? kOk : std::get<Status>(v_);
    }
    T& value() { return std::get<T>(v_); }
    const T& value() const { return std::get<T>(v_); }
    T* operator->() { return &value(); }
    T& operator*() { return value(); }

private:
    std::variant<T, Status> v_;
};

#define FLOW_RT_TRY(expr)                                                                          \
    do {                                                                                           \
        ::flow::rt::Status flowRtStatus_ = (expr);                                                 \
        if (!flowRtStatus_.isOk()) {                                                               \
            return flowRtStatus_;                                                                  \
        }                                                                                          \
    } while (false)

}  // namespace flow::rt
