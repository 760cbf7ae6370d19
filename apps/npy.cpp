#include "npy.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <new>
#include <stdexcept>

#include "budget.hpp"
#include "cli.hpp"
#include "image_io.hpp"

namespace app::npy {

namespace {

// The fixed part before the header: magic, two version bytes, the header's length.
constexpr std::size_t version_1_prefix = 6 + 2 + 2;
constexpr std::size_t version_2_prefix = 6 + 2 + 4;
// A header of the dtypes read here is a few hundred bytes; numpy's own reader refuses more than
// 10000 by default. A length field claiming gigabytes is damage, not a header to load.
constexpr std::uint64_t max_header_bytes = 1 << 20;
// Brackets in the header nest two deep (a structured dtype's list of tuples, four); deeper is
// refused before the parser's recursion could exhaust the stack.
constexpr int max_nesting = 16;
constexpr std::uint64_t max_bytes = std::numeric_limits<std::int64_t>::max();

struct DTypeInfo {
    DType dtype;
    std::string_view code;  // the descr after its byte-order character
    std::string_view name;
    std::size_t size;
};

constexpr DTypeInfo dtypes[] = {
    {DType::boolean, "b1", "bool", 1},        {DType::int8, "i1", "int8", 1},
    {DType::uint8, "u1", "uint8", 1},         {DType::int16, "i2", "int16", 2},
    {DType::uint16, "u2", "uint16", 2},       {DType::int32, "i4", "int32", 4},
    {DType::uint32, "u4", "uint32", 4},       {DType::int64, "i8", "int64", 8},
    {DType::uint64, "u8", "uint64", 8},       {DType::float16, "f2", "float16", 2},
    {DType::float32, "f4", "float32", 4},     {DType::float64, "f8", "float64", 8},
    {DType::complex64, "c8", "complex64", 8}, {DType::complex128, "c16", "complex128", 16},
};

const DTypeInfo& info(DType dtype) {
    for (const DTypeInfo& d : dtypes)
        if (d.dtype == dtype) return d;
    throw std::logic_error("npy: unknown DType");
}

std::string shown(const std::string& path, const std::string& name) {
    return display_name(name.empty() ? path : name);
}

// Printable text for a message: control and non-ASCII bytes as \xNN, at most `limit` characters.
std::string excerpt(std::string_view s, std::size_t limit = 100) {
    static const char hex[] = "0123456789abcdef";
    std::string out;
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (out.size() >= limit) {
            out += "...";
            break;
        }
        if (c >= 0x20 && c < 0x7f) {
            out += ch;
        } else {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

// ---- the file ----

class File {
public:
    File(const std::string& path, std::string shown) : shown_(std::move(shown)) {
        fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd_ < 0) throw ProcessError(shown_ + ": cannot open it (" + std::strerror(errno) + ")");
        struct stat st {};
        if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
            ::close(fd_);
            throw ProcessError(shown_ + " is not a regular file");
        }
        size_ = static_cast<std::uint64_t>(st.st_size);
    }
    ~File() { ::close(fd_); }
    File(const File&) = delete;
    File& operator=(const File&) = delete;

    std::uint64_t size() const { return size_; }

    // Up to n bytes at offset: fewer only at the end of the file.
    std::size_t read_at(std::uint64_t offset, unsigned char* out, std::size_t n) const {
        std::size_t got = 0;
        while (got < n) {
            const ssize_t r = ::pread(fd_, out + got, n - got, static_cast<off_t>(offset + got));
            if (r < 0 && errno == EINTR) continue;
            if (r < 0) throw ProcessError(shown_ + ": cannot read it (" + std::strerror(errno) + ")");
            if (r == 0) break;
            got += static_cast<std::size_t>(r);
        }
        return got;
    }

private:
    std::string shown_;
    int fd_ = -1;
    std::uint64_t size_ = 0;
};

// ---- the header's Python literal ----

// What ast.literal_eval would make of the header, as far as a .npy header needs: strings,
// integers, True/False/None, tuples, lists and dicts.
struct Value {
    enum class Kind { string, integer, boolean, none, tuple, list, dict };
    Kind kind = Kind::none;
    std::string text;          // a string's characters, an integer's digits with its sign, True or False
    std::vector<Value> items;  // a tuple's or list's elements; a dict's keys and values, alternating
    std::size_t begin = 0;     // where it is in the header text, for messages
    std::size_t end = 0;
};

struct SyntaxError {
    std::size_t at;
    std::string what;
};

class Parser {
public:
    explicit Parser(std::string_view text) : s_(text) {}

    Value document() {
        Value v = value(0);
        skip_space();
        if (i_ < s_.size())
            throw SyntaxError{i_, "'" + excerpt(s_.substr(i_, 1)) + "' after the end of the " + kind_name(v)};
        return v;
    }

    static std::string kind_name(const Value& v) {
        switch (v.kind) {
            case Value::Kind::string: return "string";
            case Value::Kind::integer: return "integer";
            case Value::Kind::boolean: return v.text;
            case Value::Kind::none: return "None";
            case Value::Kind::tuple: return "tuple";
            case Value::Kind::list: return "list";
            case Value::Kind::dict: return "dict";
        }
        return "value";
    }

private:
    std::string_view s_;
    std::size_t i_ = 0;

    // Python's whitespace between tokens (a newline inside brackets joins lines).
    void skip_space() {
        while (i_ < s_.size() &&
               (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\f'))
            ++i_;
    }

    static bool word_char(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
    }

    Value value(int depth) {
        skip_space();
        if (i_ >= s_.size()) throw SyntaxError{i_, "the header ends where a value should be"};
        const char c = s_[i_];
        if (c == '{' || c == '(' || c == '[') {
            if (depth >= max_nesting)
                throw SyntaxError{i_, "brackets nested more than " + std::to_string(max_nesting) + " deep"};
            return sequence(depth);
        }
        if (c == '\'' || c == '"') return string();
        if (word_char(c) || c == '+' || c == '-') return word();
        if (c == '}' || c == ')' || c == ']')
            throw SyntaxError{i_, "unbalanced brackets: '" + std::string(1, c) + "' closes nothing here"};
        throw SyntaxError{i_, "unexpected '" + excerpt(s_.substr(i_, 1)) + "'"};
    }

    Value string() {
        Value v{Value::Kind::string, {}, {}, i_, 0};
        const char quote = s_[i_++];
        while (true) {
            if (i_ >= s_.size() || s_[i_] == '\n')
                throw SyntaxError{v.begin, "the string that starts here is never closed"};
            if (s_[i_] == '\\') throw SyntaxError{i_, "an escape sequence in a string (no dtype read here has one)"};
            if (s_[i_] == quote) break;
            v.text += s_[i_++];
        }
        v.end = ++i_;
        return v;
    }

    // True, False, None, or a decimal integer (Python 2's numpy wrote 3L for some dimensions).
    Value word() {
        const std::size_t begin = i_;
        if (s_[i_] == '+' || s_[i_] == '-') ++i_;
        while (i_ < s_.size() && word_char(s_[i_])) ++i_;
        std::string_view w = s_.substr(begin, i_ - begin);
        Value v{Value::Kind::none, std::string(w), {}, begin, i_};
        if (w == "True" || w == "False") {
            v.kind = Value::Kind::boolean;
            return v;
        }
        if (w == "None") return v;
        std::string_view digits = w;
        if (!digits.empty() && (digits.front() == '+' || digits.front() == '-')) digits.remove_prefix(1);
        if (digits.size() > 1 && digits.back() == 'L') digits.remove_suffix(1);
        const bool decimal =
            !digits.empty() && std::all_of(digits.begin(), digits.end(), [](char d) { return d >= '0' && d <= '9'; });
        // Python reads 012 as a syntax error, not twelve; "00" is zero.
        const bool leading_zero =
            digits.size() > 1 && digits.front() == '0' && digits.find_first_not_of('0') != std::string_view::npos;
        if (!decimal || leading_zero)
            throw SyntaxError{begin, "'" + excerpt(w, 40) +
                                         "' is not a value a .npy header holds (a string, an "
                                         "integer, True or False)"};
        v.kind = Value::Kind::integer;
        v.text = std::string(w.substr(0, w.size() - (w.back() == 'L' ? 1 : 0)));
        return v;
    }

    // {k: v, ...}, (a, b, ...), [a, b, ...], each allowing a trailing comma. (x) without a
    // comma is x itself, as in Python: "(3)" is the integer 3, not a tuple.
    Value sequence(int depth) {
        const std::size_t open_at = i_;
        const char open = s_[i_++];
        const char close = open == '{' ? '}' : open == '(' ? ')' : ']';
        Value v{open == '{'   ? Value::Kind::dict
                : open == '(' ? Value::Kind::tuple
                              : Value::Kind::list,
                {},
                {},
                open_at,
                0};
        bool comma = false;
        while (true) {
            skip_space();
            if (i_ >= s_.size())
                throw SyntaxError{open_at,
                                  "unbalanced brackets: the '" + std::string(1, open) + "' here is never closed"};
            if (s_[i_] == close) break;
            if (s_[i_] == '}' || s_[i_] == ')' || s_[i_] == ']')
                throw SyntaxError{i_, "unbalanced brackets: '" + std::string(1, s_[i_]) + "' where the '" +
                                          std::string(1, open) + "' at character " + std::to_string(open_at + 1) +
                                          " needs '" + std::string(1, close) + "'"};
            if (!v.items.empty() && !comma)
                throw SyntaxError{
                    i_, "expected ',' or '" + std::string(1, close) + "' after the " + kind_name(v.items.back())};
            v.items.push_back(value(depth + 1));
            skip_space();
            if (open == '{') {
                if (i_ >= s_.size() || s_[i_] != ':')
                    throw SyntaxError{
                        i_,
                        "expected ':' after the dict key " +
                            excerpt(s_.substr(v.items.back().begin, v.items.back().end - v.items.back().begin), 40)};
                ++i_;
                v.items.push_back(value(depth + 1));
                skip_space();
            }
            comma = i_ < s_.size() && s_[i_] == ',';
            if (comma) ++i_;
        }
        v.end = ++i_;
        if (open == '(' && v.items.size() == 1 && !comma) {
            Value inner = std::move(v.items.front());
            inner.begin = open_at;
            inner.end = i_;
            return inner;
        }
        return v;
    }
};

// ---- the header's meaning ----

[[noreturn]] void refuse_dtype(const std::string& who, std::string_view descr, const char* what) {
    throw ProcessError(who + ": its dtype '" + excerpt(descr, 60) + "' (" + what +
                       ") is not read by fftconv, which reads bool, integer, float and complex arrays");
}

// The descr string of a plain dtype: a byte-order character (optional), then kind and size.
void parse_descr(const std::string& who, const std::string& descr, Header& h) {
    std::string_view code = descr;
    char order = '=';
    if (!code.empty() && (code.front() == '<' || code.front() == '>' || code.front() == '=' || code.front() == '|')) {
        order = code.front();
        code.remove_prefix(1);
    }
    // numpy writes the codes; numpy's names ('float64') and '?' are what a person may write.
    for (const DTypeInfo& d : dtypes) {
        if (code == d.code || code == d.name || (d.dtype == DType::boolean && code == "?")) {
            h.dtype = d.dtype;
            const bool native_big = std::endian::native == std::endian::big;
            h.big_endian = d.size > 1 && (order == '>' || ((order == '=' || order == '|') && native_big));
            return;
        }
    }
    // A kind letter and a size, else one of numpy's kinds with a unit or length after it.
    const char kind = code.empty() ? ' ' : code.front();
    const bool sized = code.size() > 1 && code.find_first_not_of("0123456789", 1) == std::string_view::npos;
    if (kind == 'O') refuse_dtype(who, descr, "Python objects");
    if (kind == 'U') refuse_dtype(who, descr, "unicode strings");
    if (kind == 'S' || kind == 'a') refuse_dtype(who, descr, "byte strings");
    if (kind == 'M') refuse_dtype(who, descr, "datetimes");
    if (kind == 'm') refuse_dtype(who, descr, "timedeltas");
    if (kind == 'V') refuse_dtype(who, descr, "raw bytes");
    if (sized && kind == 'f') refuse_dtype(who, descr, "a float size other than 2, 4 and 8 bytes");
    if (sized && kind == 'c') refuse_dtype(who, descr, "a complex size other than 8 and 16 bytes");
    if (sized && (kind == 'i' || kind == 'u'))
        refuse_dtype(who, descr, "an integer size other than 1, 2, 4 and 8 bytes");
    if (sized && kind == 'b') refuse_dtype(who, descr, "a bool size other than 1 byte");
    refuse_dtype(who, descr, "not a dtype numpy writes");
}

// A dimension's digits as an int64, or a message saying why not.
std::int64_t dimension(const std::string& who, const Value& d, std::string_view shape_source) {
    const std::string where = " in the shape " + excerpt(shape_source, 200);
    if (d.kind != Value::Kind::integer)
        throw ProcessError(who + ": the header's shape holds a " + Parser::kind_name(d) + where +
                           "; dimensions are integers");
    std::string_view digits = d.text;
    const bool negative = digits.front() == '-';
    if (digits.front() == '+' || digits.front() == '-') digits.remove_prefix(1);
    if (negative && digits.find_first_not_of('0') != std::string_view::npos)
        throw ProcessError(who + ": the header's dimension " + d.text + where + " is negative");
    std::uint64_t v = 0;
    for (const char c : digits) {
        const auto digit = static_cast<std::uint64_t>(c - '0');
        // Checked before the step, which could wrap past 2^64 into a plausible number.
        if (v > (max_bytes - digit) / 10)
            throw ProcessError(who + ": the header's dimension " + excerpt(d.text, 40) + where +
                               " is too large (more than 2^63 - 1)");
        v = v * 10 + digit;
    }
    return static_cast<std::int64_t>(v);
}

// The data's size in bytes, or 0 with `overflow` set past 2^63 - 1. Zero-length axes are left
// out of the overflow check as numpy leaves them out: (0, 2**62, 4) is refused there too.
std::uint64_t data_size(std::span<const std::int64_t> shape, std::size_t item, bool& overflow) {
    std::uint64_t bytes = item;
    bool empty = false;
    overflow = false;
    for (const std::int64_t d : shape) {
        if (d == 0) {
            empty = true;
            continue;
        }
        if (__builtin_mul_overflow(bytes, static_cast<std::uint64_t>(d), &bytes) || bytes > max_bytes) overflow = true;
    }
    return overflow || empty ? 0 : bytes;
}

Header parse_dict(const std::string& who, std::string_view text) {
    Value dict;
    try {
        dict = Parser(text).document();
    } catch (const SyntaxError& e) {
        std::string_view trimmed = text;
        while (!trimmed.empty() && (trimmed.back() == ' ' || trimmed.back() == '\n')) trimmed.remove_suffix(1);
        throw ProcessError(who + ": malformed header: " + e.what + " (character " + std::to_string(e.at + 1) +
                           " of \"" + excerpt(trimmed) + "\")");
    }
    if (dict.kind != Value::Kind::dict)
        throw ProcessError(who + ": the header is a " + Parser::kind_name(dict) +
                           ", not a dict of 'descr', 'fortran_order' and 'shape'");
    const char* const keys[] = {"descr", "fortran_order", "shape"};
    const Value* found[3] = {};
    for (std::size_t k = 0; k < dict.items.size(); k += 2) {
        const Value& key = dict.items[k];
        const std::string key_text = excerpt(text.substr(key.begin, key.end - key.begin), 40);
        const auto* it = key.kind == Value::Kind::string ? std::find_if(std::begin(keys), std::end(keys),
                                                                        [&](const char* n) { return key.text == n; })
                                                         : std::end(keys);
        if (it == std::end(keys))
            throw ProcessError(who + ": the header has the key " + key_text +
                               "; a .npy header has exactly 'descr', 'fortran_order' and 'shape'");
        const auto index = static_cast<std::size_t>(it - std::begin(keys));
        if (found[index]) throw ProcessError(who + ": the header gives the key '" + key.text + "' twice");
        found[index] = &dict.items[k + 1];
    }
    for (std::size_t k = 0; k < 3; ++k)
        if (!found[k])
            throw ProcessError(who + ": the header has no '" + keys[k] +
                               "' key; a .npy header has exactly 'descr', 'fortran_order' and 'shape'");

    Header h;
    const Value& descr = *found[0];
    const std::string_view descr_source = text.substr(descr.begin, descr.end - descr.begin);
    if (descr.kind == Value::Kind::list)
        throw ProcessError(who + ": its dtype " + excerpt(descr_source, 60) +
                           " is a structured (record) dtype, which fftconv does not read; it reads bool, integer, "
                           "float and complex arrays");
    if (descr.kind != Value::Kind::string)
        throw ProcessError(who + ": the header's 'descr' is " + excerpt(descr_source, 60) +
                           ", not a dtype string such as '<f8'");
    h.descr = descr.text;
    parse_descr(who, descr.text, h);

    const Value& order = *found[1];
    if (order.kind != Value::Kind::boolean)
        throw ProcessError(who + ": the header's 'fortran_order' is " +
                           excerpt(text.substr(order.begin, order.end - order.begin), 40) + ", not True or False");
    h.fortran_order = order.text == "True";

    const Value& shape = *found[2];
    const std::string_view shape_source = text.substr(shape.begin, shape.end - shape.begin);
    if (shape.kind == Value::Kind::integer)
        throw ProcessError(who + ": the header's shape " + excerpt(shape_source, 40) +
                           " is not a tuple; a 1-D shape is written with a comma, (" + shape.text + ",)");
    if (shape.kind != Value::Kind::tuple)
        throw ProcessError(who + ": the header's shape " + excerpt(shape_source, 200) +
                           " is not a tuple of integers such as (3, 4)");
    if (shape.items.size() > max_rank)
        throw ProcessError(who + ": the header's shape has " + std::to_string(shape.items.size()) +
                           " dimensions, more than " + std::to_string(max_rank));
    for (const Value& d : shape.items) h.shape.push_back(dimension(who, d, shape_source));
    bool overflow = false;
    h.data_bytes = data_size(h.shape, item_size(h.dtype), overflow);
    if (overflow)
        throw ProcessError(who + ": the header declares shape " + shape_text(h.shape) + " of " +
                           std::string(dtype_name(h.dtype)) + ", more than 2^63 bytes");
    return h;
}

std::uint64_t little_endian(const unsigned char* b, std::size_t n) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v |= static_cast<std::uint64_t>(b[i]) << (8 * i);
    return v;
}

// ---- converting the data ----

bool swap_needed(const Header& h) {
    return h.big_endian != (std::endian::native == std::endian::big);
}

template <class S>
S load(const unsigned char* p, bool swap) {
    unsigned char b[sizeof(S)];
    std::memcpy(b, p, sizeof(S));
    if (swap) std::reverse(b, b + sizeof(S));
    S s;
    std::memcpy(&s, b, sizeof(S));
    return s;
}

// IEEE binary16 to float, exactly: every half is a float (NaN payloads and signs kept).
float half_to_float(std::uint16_t h) {
    const std::uint32_t sign = static_cast<std::uint32_t>(h >> 15) << 31;
    const std::uint32_t exponent = (h >> 10) & 0x1f;
    const std::uint32_t mantissa = h & 0x3ff;
    if (exponent == 0x1f) return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));
    const float magnitude = exponent == 0
                                ? std::ldexp(static_cast<float>(mantissa), -24)
                                : std::ldexp(static_cast<float>(mantissa | 0x400), static_cast<int>(exponent) - 25);
    return sign ? -magnitude : magnitude;
}

template <class T, class V>
T real_to(V v) {
    if constexpr (fftconv::is_complex_v<T>)
        return T(static_cast<typename T::value_type>(v), 0);
    else
        return static_cast<T>(v);
}

// n elements of dtype `d` at `in` (the file's bytes) to T at `out`.
template <class T>
void convert(DType d, bool swap, const unsigned char* in, std::size_t n, T* out) {
    auto each = [&]<class S>(std::type_identity<S>, auto to) {
        for (std::size_t i = 0; i < n; ++i) out[i] = to(load<S>(in + i * sizeof(S), swap));
    };
    auto real = [](auto v) { return real_to<T>(v); };
    switch (d) {
        case DType::boolean:
            return each(std::type_identity<std::uint8_t>{}, [](std::uint8_t v) { return real_to<T>(v != 0 ? 1 : 0); });
        case DType::int8: return each(std::type_identity<std::int8_t>{}, real);
        case DType::uint8: return each(std::type_identity<std::uint8_t>{}, real);
        case DType::int16: return each(std::type_identity<std::int16_t>{}, real);
        case DType::uint16: return each(std::type_identity<std::uint16_t>{}, real);
        case DType::int32: return each(std::type_identity<std::int32_t>{}, real);
        case DType::uint32: return each(std::type_identity<std::uint32_t>{}, real);
        case DType::int64: return each(std::type_identity<std::int64_t>{}, real);
        case DType::uint64: return each(std::type_identity<std::uint64_t>{}, real);
        case DType::float16:
            return each(std::type_identity<std::uint16_t>{},
                        [](std::uint16_t v) { return real_to<T>(half_to_float(v)); });
        case DType::float32: return each(std::type_identity<float>{}, real);
        case DType::float64: return each(std::type_identity<double>{}, real);
        case DType::complex64:
        case DType::complex128:
            if constexpr (fftconv::is_complex_v<T>) {
                using R = typename T::value_type;
                auto parts = [&]<class C>(std::type_identity<C>) {
                    for (std::size_t i = 0; i < n; ++i) {
                        const unsigned char* p = in + i * 2 * sizeof(C);
                        out[i] = T(static_cast<R>(load<C>(p, swap)), static_cast<R>(load<C>(p + sizeof(C), swap)));
                    }
                };
                if (d == DType::complex64) return parts(std::type_identity<float>{});
                return parts(std::type_identity<double>{});
            }
            throw std::logic_error("npy: complex data converted to a real type");
    }
}

// Fortran-order elements (the first index fastest) rearranged into C order.
template <class T>
std::vector<T> to_c_order(const std::vector<T>& f, const std::vector<std::int64_t>& shape) {
    const std::size_t rank = shape.size();
    std::vector<std::size_t> stride(rank);  // of each axis in the Fortran data
    std::size_t s = 1;
    for (std::size_t k = 0; k < rank; ++k) {
        stride[k] = s;
        s *= static_cast<std::size_t>(shape[k]);
    }
    std::vector<T> c(f.size());
    std::vector<std::int64_t> index(rank, 0);
    std::size_t from = 0;
    for (std::size_t i = 0; i < c.size(); ++i) {
        c[i] = f[from];
        for (std::size_t k = rank; k-- > 0;) {
            from += stride[k];
            if (++index[k] < shape[k]) break;
            from -= stride[k] * static_cast<std::size_t>(shape[k]);
            index[k] = 0;
        }
    }
    return c;
}

template <class T>
std::string element_name() {
    return std::string(dtype_name(dtype_of<T>()));
}

// The bytes before the data of the file numpy.save writes for `shape` of dtype_of<T>(): the
// magic, version 1.0, and the header padded with spaces and ended by '\n' so that the data
// starts at a multiple of 64. At most 64 dimensions of at most 19 digits keep the header under
// 1.5 kB: version 1.0's 2-byte length always holds it, and numpy's readers back to 2007 read it.
template <class T>
std::string file_header(std::span<const std::int64_t> shape) {
    const char* const descr = dtype_of<T>() == DType::float32     ? "<f4"
                              : dtype_of<T>() == DType::float64   ? "<f8"
                              : dtype_of<T>() == DType::complex64 ? "<c8"
                                                                  : "<c16";
    std::string dict =
        std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape_text(shape) + ", }";
    dict.append((64 - (version_1_prefix + dict.size() + 1) % 64) % 64, ' ');
    dict += '\n';
    std::string head(magic);
    head += std::string{'\x01', '\x00', static_cast<char>(dict.size() & 0xff), static_cast<char>(dict.size() >> 8)};
    head += dict;
    return head;
}

// Bytes [offset, offset + n) of an open file, mapped from the page boundary below offset, and
// unmapped when this goes: what the process holds of the file is the pages touched meanwhile.
class Map {
public:
    Map(int fd, std::uint64_t offset, std::uint64_t n, bool writable, const std::string& who) {
        const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
        skip_ = static_cast<std::size_t>(offset % page);
        length_ = static_cast<std::size_t>(n) + skip_;
        base_ = ::mmap(nullptr, length_, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd,
                       static_cast<off_t>(offset - skip_));
        if (base_ == MAP_FAILED)
            throw ProcessError(who + ": cannot map " + bytes_text(static_cast<double>(n)) + " of it (" +
                               std::strerror(errno) + ")");
        // No read-ahead around each fault: a narrow box of a wide array touches a page per row, and
        // the pages around each (64 kB of them by default) would count as the process's memory.
        ::madvise(base_, length_, MADV_RANDOM);
    }
    ~Map() { ::munmap(base_, length_); }
    Map(const Map&) = delete;
    Map& operator=(const Map&) = delete;
    unsigned char* data() const { return static_cast<unsigned char*>(base_) + skip_; }

private:
    void* base_ = nullptr;
    std::size_t length_ = 0, skip_ = 0;
};

// The file's element strides of an array of `shape`: C order (the last index fastest) or Fortran.
fftconv::Extents file_strides(const fftconv::Extents& shape, bool fortran) {
    fftconv::Extents st = shape;
    const int rank = shape.rank();
    std::ptrdiff_t n = 1;
    for (int k = 0; k < rank; ++k) {
        const int a = fortran ? k : rank - 1 - k;
        st[a] = n;
        n *= shape[a];
    }
    return st;
}

// f(line's file offset in elements, line's first element in the view) for each line of a box of
// `extent` at `first` along its last axis; `st` the file's strides, `vs` the view's.
template <class F>
void for_each_box_line(const fftconv::Extents& first, const fftconv::Extents& extent, const fftconv::Extents& st,
                       const fftconv::Extents& vs, F&& f) {
    const int rank = extent.rank();
    if (extent.empty()) return;
    std::ptrdiff_t index[fftconv::max_rank] = {};
    for (;;) {
        std::ptrdiff_t file = first[rank - 1] * st[rank - 1], view = 0;
        for (int a = 0; a + 1 < rank; ++a) {
            file += (first[a] + index[a]) * st[a];
            view += index[a] * vs[a];
        }
        f(file, view);
        int a = rank - 2;
        for (; a >= 0; --a) {
            if (++index[a] < extent[a]) break;
            index[a] = 0;
        }
        if (a < 0) return;
    }
}

// The file's element offsets of a box's first and one past its last element.
std::pair<std::ptrdiff_t, std::ptrdiff_t> box_span(const fftconv::Extents& first, const fftconv::Extents& extent,
                                                   const fftconv::Extents& st) {
    std::ptrdiff_t lo = 0, hi = 1;
    for (int a = 0; a < extent.rank(); ++a) {
        lo += first[a] * st[a];
        hi += (first[a] + extent[a] - 1) * st[a];
    }
    return {lo, hi};
}

}  // namespace

std::string_view dtype_name(DType dtype) {
    return info(dtype).name;
}

std::size_t item_size(DType dtype) {
    return info(dtype).size;
}

bool is_complex(DType dtype) {
    return dtype == DType::complex64 || dtype == DType::complex128;
}

std::uint64_t Header::elements() const {
    std::uint64_t n = 1;
    for (const std::int64_t d : shape) n *= static_cast<std::uint64_t>(d);
    return n;
}

std::string shape_text(std::span<const std::int64_t> shape) {
    std::string s = "(";
    for (std::size_t k = 0; k < shape.size(); ++k) s += (k ? ", " : "") + std::to_string(shape[k]);
    return s + (shape.size() == 1 ? ",)" : ")");
}

bool is_npy(std::span<const unsigned char> first_bytes) {
    return first_bytes.size() >= magic.size() && std::memcmp(first_bytes.data(), magic.data(), magic.size()) == 0;
}

bool is_npy(const std::string& path) {
    // Only a regular file: opening a FIFO would wait for a writer (the image reader refuses it).
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) return false;
    try {
        const File f(path, path);
        unsigned char b[magic.size()];
        return is_npy(std::span<const unsigned char>(b, f.read_at(0, b, sizeof b)));
    } catch (const ProcessError&) {
        return false;
    }
}

Header read_header(const std::string& path, const std::string& name) {
    const std::string who = shown(path, name);
    const File f(path, who);
    unsigned char fixed[version_2_prefix];
    const std::size_t got = f.read_at(0, fixed, sizeof fixed);
    // A file shorter than the magic but agreeing with it so far is a truncated .npy file.
    const bool npy = got >= magic.size() ? is_npy({fixed, got}) : got > 0 && std::memcmp(fixed, magic.data(), got) == 0;
    if (!npy)
        throw ProcessError(who + " is not a .npy file: it does not start with \\x93NUMPY" +
                           (got == 0 ? std::string(" (it is empty)") : ""));
    if (got < 8)
        throw ProcessError(who + " is truncated: it ends after " + std::to_string(got) +
                           " bytes, inside the .npy magic and version");
    const int major = fixed[6], minor = fixed[7];
    if ((major != 1 && major != 2 && major != 3) || minor != 0)
        throw ProcessError(who + " is .npy format version " + std::to_string(major) + "." + std::to_string(minor) +
                           ", which fftconv does not read (it reads 1.0, 2.0 and 3.0)");
    const std::size_t prefix = major == 1 ? version_1_prefix : version_2_prefix;
    if (got < prefix)
        throw ProcessError(who + " is truncated: it ends after " + std::to_string(got) +
                           " bytes, before the .npy header's length");
    const std::uint64_t header_bytes = little_endian(fixed + 8, prefix - 8);
    if (header_bytes > f.size() - prefix)
        throw ProcessError(who + ": the .npy header is " + std::to_string(header_bytes) + " bytes long, but the file " +
                           "ends " + std::to_string(f.size() - prefix) + " bytes after its start (truncated?)");
    if (header_bytes > max_header_bytes)
        throw ProcessError(who + ": the .npy header is " + bytes_text(static_cast<double>(header_bytes)) +
                           " long, past fftconv's limit of " + bytes_text(double(max_header_bytes)) +
                           " (a plain array's header is under 2 kB)");
    std::string text(header_bytes, '\0');
    f.read_at(prefix, reinterpret_cast<unsigned char*>(text.data()), text.size());

    Header h = parse_dict(who, text);
    h.version = major;
    h.data_offset = prefix + header_bytes;
    const std::uint64_t held = f.size() - h.data_offset;
    if (held != h.data_bytes) {
        const std::string declared = "the header declares shape " + shape_text(h.shape) + " of " +
                                     std::string(dtype_name(h.dtype)) + ", " + bytes_text(double(h.data_bytes));
        if (held < h.data_bytes)
            throw ProcessError(who + ": " + declared + ", but the file holds " + bytes_text(double(held)) +
                               " of data (truncated?)");
        throw ProcessError(who + ": " + declared + ", but the file holds " + bytes_text(double(held)) +
                           " of data after its header: the shape or dtype is wrong, or more than one array was "
                           "written into it");
    }
    return h;
}

template <fftconv::Scalar T>
std::vector<T> read_data(const std::string& path, const Header& header, const std::string& name) {
    const std::string who = shown(path, name);
    if (!fftconv::is_complex_v<T> && is_complex(header.dtype))
        throw ProcessError(who + " holds " + std::string(dtype_name(header.dtype)) + " data; reading it as " +
                           element_name<T>() + " would drop the imaginary part");
    const std::size_t item = item_size(header.dtype);
    bool overflow = false;
    if (data_size(header.shape, item, overflow) != header.data_bytes || overflow)
        throw std::logic_error("npy::read_data: a header whose data_bytes does not match its shape");
    const File f(path, who);
    if (f.size() != header.data_offset + header.data_bytes)
        throw ProcessError(who + " changed since its header was read: it is now " + std::to_string(f.size()) +
                           " bytes, not " + std::to_string(header.data_offset + header.data_bytes));
    const std::uint64_t n = header.data_bytes / item;
    std::vector<T> data;
    try {
        data.resize(static_cast<std::size_t>(n));
    } catch (const std::bad_alloc&) {
        throw ProcessError(who + ": cannot allocate " + bytes_text(double(n) * sizeof(T)) + " for its " +
                           std::to_string(n) + " elements as " + element_name<T>());
    } catch (const std::length_error&) {
        throw ProcessError(who + ": cannot allocate " + bytes_text(double(n) * sizeof(T)) + " for its " +
                           std::to_string(n) + " elements as " + element_name<T>());
    }
    // A megabyte at a time: the file's bytes are never all held besides the result.
    const std::size_t chunk = std::max<std::size_t>(1, (std::size_t{1} << 20) / item);
    std::vector<unsigned char> bytes(std::min<std::uint64_t>(n, chunk) * item);
    const bool swap = swap_needed(header);
    for (std::size_t done = 0; done < data.size();) {
        const std::size_t count = std::min(chunk, data.size() - done);
        if (f.read_at(header.data_offset + done * item, bytes.data(), count * item) != count * item)
            throw ProcessError(who + " changed while it was read: it ends before the data its header declares");
        convert(header.dtype, swap, bytes.data(), count, data.data() + done);
        done += count;
    }
    if (header.fortran_order && header.shape.size() > 1 && !data.empty()) data = to_c_order(data, header.shape);
    return data;
}

template <fftconv::Scalar T>
void write(const std::string& path, std::span<const std::int64_t> shape, const T* data) {
    const std::string who = path == "-" ? "standard output" : "'" + path + "'";
    if (shape.size() > max_rank)
        throw ProcessError("cannot write " + who + ": " + std::to_string(shape.size()) + " dimensions, more than " +
                           std::to_string(max_rank));
    for (const std::int64_t d : shape)
        if (d < 0)
            throw ProcessError("cannot write " + who + ": the shape " + shape_text(shape) +
                               " has a negative dimension");
    bool overflow = false;
    const std::uint64_t bytes = data_size(shape, sizeof(T), overflow);
    if (overflow)
        throw ProcessError("cannot write " + who + ": the shape " + shape_text(shape) + " of " + element_name<T>() +
                           " is more than 2^63 bytes");
    if (bytes > 0 && data == nullptr) throw std::invalid_argument("npy::write: no data for a non-empty shape");

    const std::string head = file_header<T>(shape);
    const std::size_t count = bytes / sizeof(T);
    write_atomically(
        path,
        [&](const std::string& temporary) {
            errno = 0;
            std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
            out.write(head.data(), static_cast<std::streamsize>(head.size()));
            if constexpr (std::endian::native == std::endian::little) {
                if (count > 0) out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(bytes));
            } else {
                // Each real or imaginary part little-endian.
                using R = std::conditional_t<fftconv::is_complex_v<T>, typename T::value_type, T>;
                const auto* parts = reinterpret_cast<const unsigned char*>(data);
                std::vector<unsigned char> buffer(sizeof(R));
                for (std::size_t i = 0; i < bytes; i += sizeof(R)) {
                    std::reverse_copy(parts + i, parts + i + sizeof(R), buffer.begin());
                    out.write(reinterpret_cast<const char*>(buffer.data()), sizeof(R));
                }
            }
            out.close();
            if (!out) throw std::runtime_error(errno ? std::strerror(errno) : "the write failed");
            return true;
        },
        ".npy");
}

template <fftconv::Scalar T>
BoxReader<T>::BoxReader(const std::string& path, const Header& header, const std::string& name)
    : header_(header), who_(shown(path, name)) {
    if (!fftconv::is_complex_v<T> && is_complex(header.dtype))
        throw ProcessError(who_ + " holds " + std::string(dtype_name(header.dtype)) + " data; reading it as " +
                           element_name<T>() + " would drop the imaginary part");
    if (header.shape.empty() || header.shape.size() > static_cast<std::size_t>(fftconv::max_rank))
        throw ProcessError(who_ + " has " + std::to_string(header.shape.size()) +
                           " dimensions; arrays larger than memory are read with 1 to " +
                           std::to_string(fftconv::max_rank));
    std::vector<std::ptrdiff_t> n(header.shape.begin(), header.shape.end());
    shape_ = fftconv::Extents(std::span<const std::ptrdiff_t>(n));
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw ProcessError(who_ + ": cannot open it (" + std::strerror(errno) + ")");
    struct stat st {};
    if (::fstat(fd_, &st) != 0 || static_cast<std::uint64_t>(st.st_size) != header.data_offset + header.data_bytes) {
        ::close(fd_);
        throw ProcessError(who_ + " changed since its header was read: it is now " + std::to_string(st.st_size) +
                           " bytes, not " + std::to_string(header.data_offset + header.data_bytes));
    }
}

template <fftconv::Scalar T>
BoxReader<T>::~BoxReader() {
    ::close(fd_);
}

template <fftconv::Scalar T>
void BoxReader<T>::read(const fftconv::Extents& first, const fftconv::View<T>& dst) {
    if (dst.empty()) return;
    const int last = dst.rank() - 1;
    const fftconv::Extents st = file_strides(shape_, header_.fortran_order);
    // (Named, not a structured binding: the lambda below reads them.)
    const std::pair<std::ptrdiff_t, std::ptrdiff_t> span = box_span(first, dst.shape, st);
    const std::ptrdiff_t lo = span.first, hi = span.second;
    const std::size_t item = item_size(header_.dtype);
    const Map map(fd_, header_.data_offset + static_cast<std::uint64_t>(lo) * item,
                  static_cast<std::uint64_t>(hi - lo) * item, false, who_);
    const bool swap = swap_needed(header_);
    const std::ptrdiff_t n = dst.shape[last], step = st[last], ds = dst.strides[last];
    for_each_box_line(first, dst.shape, st, dst.strides, [&](std::ptrdiff_t file, std::ptrdiff_t view) {
        const unsigned char* in = map.data() + static_cast<std::size_t>(file - lo) * item;
        T* out = dst.data + view;
        if (step == 1 && ds == 1) {
            convert(header_.dtype, swap, in, static_cast<std::size_t>(n), out);
        } else {
            for (std::ptrdiff_t i = 0; i < n; ++i)
                convert(header_.dtype, swap, in + static_cast<std::size_t>(i * step) * item, 1, out + i * ds);
        }
    });
}

template <fftconv::Scalar T>
BoxWriter<T>::BoxWriter(const std::string& path, const fftconv::Extents& shape, bool create)
    : path_(path), shape_(shape) {
    const std::string who = "cannot write '" + path + "'";
    std::vector<std::int64_t> dims;
    for (int a = 0; a < shape.rank(); ++a) dims.push_back(shape[a]);
    const std::string head = file_header<T>(dims);
    data_offset_ = head.size();
    const double total = static_cast<double>(data_offset_) + static_cast<double>(shape.size()) * sizeof(T);
    fd_ = ::open(path.c_str(), create ? O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC : O_RDWR | O_CLOEXEC, 0666);
    if (fd_ < 0) throw ProcessError(who + ": " + std::strerror(errno));
    if (!create) {
        struct stat st {};
        if (::fstat(fd_, &st) != 0 || static_cast<double>(st.st_size) != total) {
            ::close(fd_);
            fd_ = -1;
            throw ProcessError(who + ": it is " + std::to_string(st.st_size) + " bytes, not the " + bytes_text(total) +
                               " of its shape");
        }
        return;
    }
    const auto fail = [&](const std::string& what) {
        ::close(fd_);
        fd_ = -1;
        throw ProcessError(who + ": " + what);
    };
    if (::pwrite(fd_, head.data(), head.size(), 0) != static_cast<ssize_t>(head.size()))
        fail(std::string("writing its header failed (") + std::strerror(errno) + ")");
    // The whole file reserved now: a full disk is found before the work, not after hours of it.
    if (const int e = ::posix_fallocate(fd_, 0, static_cast<off_t>(total)); e != 0)
        fail("reserving its " + bytes_text(total) + " on disk failed (" + std::strerror(e) + ")");
}

template <fftconv::Scalar T>
BoxWriter<T>::~BoxWriter() {
    if (fd_ >= 0) ::close(fd_);
}

template <fftconv::Scalar T>
void BoxWriter<T>::write(const fftconv::Extents& first, const fftconv::View<const T>& src) {
    if (src.empty()) return;
    const int last = src.rank() - 1;
    const fftconv::Extents st = file_strides(shape_, false);
    const std::pair<std::ptrdiff_t, std::ptrdiff_t> span = box_span(first, src.shape, st);
    const std::ptrdiff_t lo = span.first, hi = span.second;
    const Map map(fd_, data_offset_ + static_cast<std::uint64_t>(lo) * sizeof(T),
                  static_cast<std::uint64_t>(hi - lo) * sizeof(T), true, "cannot write '" + path_ + "'");
    const std::ptrdiff_t n = src.shape[last], ss = src.strides[last];
    using R = fftconv::real_t<T>;
    for_each_box_line(first, src.shape, st, src.strides, [&](std::ptrdiff_t file, std::ptrdiff_t view) {
        unsigned char* out = map.data() + static_cast<std::size_t>(file - lo) * sizeof(T);
        const T* in = src.data + view;
        for (std::ptrdiff_t i = 0; i < n; ++i) {
            unsigned char b[sizeof(T)];
            std::memcpy(b, in + i * ss, sizeof(T));
            // Each real or imaginary part little-endian.
            if constexpr (std::endian::native == std::endian::big)
                for (std::size_t p = 0; p < sizeof(T); p += sizeof(R)) std::reverse(b + p, b + p + sizeof(R));
            std::memcpy(out + static_cast<std::size_t>(i) * sizeof(T), b, sizeof(T));
        }
    });
}

template <fftconv::Scalar T>
void BoxWriter<T>::close() {
    if (fd_ < 0) return;
    const int r = ::close(fd_);
    fd_ = -1;
    if (r != 0) throw ProcessError("cannot write '" + path_ + "': " + std::strerror(errno));
}

template class BoxReader<float>;
template class BoxReader<double>;
template class BoxReader<std::complex<float>>;
template class BoxReader<std::complex<double>>;
template class BoxWriter<float>;
template class BoxWriter<double>;
template class BoxWriter<std::complex<float>>;
template class BoxWriter<std::complex<double>>;

template std::vector<float> read_data<float>(const std::string&, const Header&, const std::string&);
template std::vector<double> read_data<double>(const std::string&, const Header&, const std::string&);
template std::vector<std::complex<float>> read_data<std::complex<float>>(const std::string&, const Header&,
                                                                         const std::string&);
template std::vector<std::complex<double>> read_data<std::complex<double>>(const std::string&, const Header&,
                                                                           const std::string&);
template void write<float>(const std::string&, std::span<const std::int64_t>, const float*);
template void write<double>(const std::string&, std::span<const std::int64_t>, const double*);
template void write<std::complex<float>>(const std::string&, std::span<const std::int64_t>, const std::complex<float>*);
template void write<std::complex<double>>(const std::string&, std::span<const std::int64_t>,
                                          const std::complex<double>*);

}  // namespace app::npy
