// HDF5 trajectory writer, schema version 1. The schema (every path, shape,
// type and unit) is documented in docs/OUTPUT.md; keep the two in step.
#include "output/trajectory_writer.hpp"

#include <hdf5.h>
#include <hdf5_hl.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <condition_variable>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <limits>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/limits.hpp"
#include "output/content_digest.hpp"
#include "output/fault.hpp"
#include "output/hdf5_error.hpp"
#include "output/hdf5_guard.hpp"
#include "output/sha256.hpp"
#include "output/trajectory_reader.hpp"

namespace missionsim {
namespace {

constexpr hsize_t kChunkRows = 64;

// Errors become exceptions with the stack's message; HDF5 must not print. Its printing is set per thread,
// and a writer is called from more than one (the one that made it, its own, run_to_file's stepping
// thread), so every section that calls HDF5 makes sure of it first.
void quiet_hdf5_errors() {
  thread_local bool quiet = false;
  if (quiet) return;
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  quiet = true;
}

// Owns an HDF5 identifier and closes it with the matching H5?close.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer close) : id_(id), close_(close) {}
  Handle(Handle&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)), close_(other.close_) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
      close_ = other.close_;
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }

  hid_t get() const { return id_; }
  // Returns the close status so that the final file close can be checked.
  herr_t reset() noexcept {
    herr_t status = 0;
    if (id_ >= 0 && close_ != nullptr) status = close_(id_);
    id_ = H5I_INVALID_HID;
    return status;
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer close_ = nullptr;
};

// A dataset's unit and description, stored as its "units" and "long_name" attributes.
struct Meta {
  const char* units;
  const char* long_name;
};

struct FirmF64 {
  const char* name;
  std::vector<double> Observables::*field;
  Meta meta;
};

// A [T, A] float64 attribute series.
struct AttributeF64 {
  const char* name;
  std::vector<double> Observables::*field;
  Meta meta;
};

struct MarketF64 {
  const char* name;
  double Observables::*field;
  Meta meta;
};

// Order here is the order of creation in the file and of docs/OUTPUT.md.
const std::array<FirmF64, 17> kFirmF64 = {{
    {"share", &Observables::share, {"1", "customers / population"}},
    {"price", &Observables::price, {"money/customer/step", "price"}},
    {"revenue", &Observables::revenue, {"money/step", "revenue: sales plus grants"}},
    {"grants", &Observables::grants, {"money/step", "grants received"}},
    {"costs", &Observables::costs, {"money/step", "costs: operating, investment and donations"}},
    {"profit", &Observables::profit, {"money/step", "revenue minus costs"}},
    {"payout", &Observables::payout, {"money/step", "payout to owners"}},
    {"cash", &Observables::cash, {"money", "cash at the end of the step"}},
    {"satisfaction", &Observables::satisfaction, {"1", "mean satisfaction S of the firm's customers, 0..1"}},
    {"success", &Observables::success, {"1", "mean customer success s of the firm's customers, 0..1"}},
    {"nps", &Observables::nps, {"1", "net promoter score, -100..100"}},
    {"engagement", &Observables::engagement, {"1", "employee engagement of the firm (M10), 0..1"}},
    {"social_impact", &Observables::social_impact, {"impact/step", "social impact delivered this step"}},
    {"harm", &Observables::harm, {"harm", "harm stock"}},
    {"retention", &Observables::retention, {"1", "share of last step's customers still with the firm, 0..1"}},
    {"promoters", &Observables::promoters, {"1", "share of the firm's customers who are promoters, 0..1"}},
    {"detractors", &Observables::detractors, {"1", "share of the firm's customers who are detractors, 0..1"}},
}};

const std::array<AttributeF64, 3> kAttributeF64 = {{
    {"kano_maturity",
     &Observables::kano_maturity,
     {"1", "Kano maturity of each attribute, NaN until discovered"}},
    {"kano_better",
     &Observables::kano_better,
     {"1",
      "Berger et al. (1993) Better coefficient (A+O)/(A+O+M+I) of the virtual Kano questionnaire, NaN until "
      "discovered"}},
    {"kano_worse",
     &Observables::kano_worse,
     {"1",
      "Berger et al. (1993) Worse coefficient -(O+M)/(A+O+M+I) of the virtual Kano questionnaire, NaN until "
      "discovered"}},
}};

const std::array<MarketF64, 10> kMarketF64 = {{
    {"churn_rate",
     &Observables::churn_rate,
     {"1/step", "customers who left their firm this step / adopters at the start of the step"}},
    {"hhi", &Observables::hhi, {"1", "Herfindahl-Hirschman index: sum of squared shares among adopters"}},
    {"success_weight", &Observables::success_weight, {"1", "era weight w(t) of customer success"}},
    {"amplification", &Observables::amplification, {"1", "social-media amplification a(t)"}},
    {"expectation_mean", &Observables::expectation_mean, {"1", "mean expectation E over all customers"}},
    {"disconfirmation_mean",
     &Observables::disconfirmation_mean,
     {"1", "mean P - E over customers who experienced a firm this step"}},
    {"societal_value", &Observables::societal_value, {"impact/step", "impact minus harm flow this step"}},
    {"success_expectation_mean",
     &Observables::success_expectation_mean,
     {"1",
      "mean success expectation over all customers (Eq. C1-C2); NaN when [success_expectations] is off"}},
    {"success_weight_mean",
     &Observables::success_weight_mean,
     {"1",
      "mean of the customers' own weights on success (Eq. C3-C4); NaN when [success_expectations] is off"}},
    {"non_buyers",
     &Observables::non_buyers,
     {"customers/step", "customers who chose to buy nothing this step (demand.outside_option; else 0)"}},
}};

// A time-extendible dataset: [T] when width is absent, [T, width] otherwise.
struct Series {
  Handle dset;
  hid_t mem_type = H5I_INVALID_HID;
  bool per_row_vector = false;
  hsize_t width = 0;
  hsize_t width2 = 0;  // a [T, width, width2] dataset when > 0 (rank 3)
};

}  // namespace

struct TrajectoryWriter::Impl {
  enum class State { open, finished, abandoned };

  std::string final_path;
  std::string partial_path;
  // The text datasets as written, compared with what the file holds before it is published.
  std::vector<std::pair<std::string, std::vector<std::string>>> texts;
  std::size_t firms = 0;
  std::size_t attributes = 0;
  std::size_t strategies = 0;
  std::size_t segments = 0;  // 0: no /segments group (a RunInfo without segment names)
  int flush_every = 10;
  hsize_t rows = 0;      // rows written to the file
  hsize_t appended = 0;  // rows appended: rows + pending.size()
  // Rows appended since the last flush, written to the file together at the next flush (one extend and
  // one write per dataset instead of one per row and dataset). Rows after the last flush were never
  // guaranteed to survive a kill; finish() and abandon() write them first.
  std::vector<Observables> pending;
  int last_step = std::numeric_limits<int>::min();
  State state = State::open;

  // The flushes run on a thread of the writer's own (the "background writer"), so that the engine steps
  // on while HDF5 extends, writes and flushes: append() hands the pending rows over and returns. One
  // batch at a time: a flush first waits for the one before it, and every other member function
  // (finish, abandon, hdf5_file, the destructor) waits for it too, so HDF5 sees the same calls in the
  // same order as if they were made inline, and the file's bytes are the same. What the thread failed
  // at is thrown by the next call that waits for it. After hdf5_file() the caller writes to the file
  // too, and flushes are made inline from then on (its writes and the rows' keep their order).
  std::thread worker;
  std::mutex worker_mutex;
  std::condition_variable worker_cv;
  std::vector<Observables> batch;  // the rows the thread is writing; only it touches them while busy
  bool worker_busy = false;
  bool worker_quit = false;
  bool inline_flushes = false;
  std::exception_ptr worker_error;

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() { stop_worker(); }

  // Declared first so it is closed last, after every object in it.
  Handle file;
  Handle firm_scale, attribute_scale, strategy_scale, segment_scale;
  Series time, customers, strategy_id, alive, adopters, segment_customers, values_customers;
  std::vector<Series> attribute_f64;  // parallel to kAttributeF64
  std::vector<Series> firm_f64;       // parallel to kFirmF64
  std::vector<Series> market_f64;     // parallel to kMarketF64

  [[noreturn]] void fail(const std::string& what) const {
    const std::string detail = hdf5_error_detail();
    throw std::runtime_error("HDF5 trajectory '" + partial_path + "': " + what +
                             (detail.empty() ? "" : ": " + detail));
  }
  void check(herr_t status, const std::string& what) const {
    if (status < 0) fail(what);
  }
  Handle make(hid_t id, Handle::Closer close, const std::string& what) const {
    if (id < 0) fail(what);
    return Handle(id, close);
  }

  Handle utf8_string_type() const {
    Handle type = make(H5Tcopy(H5T_C_S1), H5Tclose, "cannot copy the string type");
    check(H5Tset_size(type.get(), H5T_VARIABLE), "cannot make a variable-length string type");
    check(H5Tset_cset(type.get(), H5T_CSET_UTF8), "cannot make a UTF-8 string type");
    return type;
  }

  // Group and dataset creation properties without modification times, so
  // identical runs give identical bytes.
  Handle group_props() const {
    Handle gcpl = make(H5Pcreate(H5P_GROUP_CREATE), H5Pclose, "cannot create group properties");
    check(H5Pset_obj_track_times(gcpl.get(), false), "cannot disable group time tracking");
    return gcpl;
  }
  Handle dataset_props() const {
    Handle dcpl = make(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "cannot create dataset properties");
    check(H5Pset_obj_track_times(dcpl.get(), false), "cannot disable dataset time tracking");
    return dcpl;
  }

  Handle create_group(const char* name) const {
    Handle gcpl = group_props();
    return make(H5Gcreate2(file.get(), name, H5P_DEFAULT, gcpl.get(), H5P_DEFAULT), H5Gclose,
                std::string("cannot create group ") + name);
  }

  void string_attribute(hid_t obj, const char* name, const std::string& value) const {
    Handle type = utf8_string_type();
    Handle space = make(H5Screate(H5S_SCALAR), H5Sclose, "cannot create a scalar dataspace");
    Handle attr = make(H5Acreate2(obj, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                       std::string("cannot create attribute ") + name);
    const char* data = value.c_str();
    check(H5Awrite(attr.get(), type.get(), &data), std::string("cannot write attribute ") + name);
  }

  void scalar_attribute(hid_t obj, const char* name, hid_t file_type, hid_t mem_type,
                        const void* value) const {
    Handle space = make(H5Screate(H5S_SCALAR), H5Sclose, "cannot create a scalar dataspace");
    Handle attr = make(H5Acreate2(obj, name, file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                       std::string("cannot create attribute ") + name);
    check(H5Awrite(attr.get(), mem_type, value), std::string("cannot write attribute ") + name);
  }

  void describe(hid_t dset, const Meta& meta) const {
    string_attribute(dset, "units", meta.units);
    string_attribute(dset, "long_name", meta.long_name);
  }

  void attach(hid_t dset, hid_t scale, unsigned dim, const std::string& path) const {
    check(H5DSattach_scale(dset, scale, dim), "cannot attach a dimension scale to " + path);
  }

  // A fixed-size [n] dataset written at once. `data` is an array of
  // `mem_type` (for strings: of const char*).
  Handle fixed_dataset(const std::string& path, hid_t file_type, hid_t mem_type, std::size_t n,
                       const void* data, const Meta& meta) const {
    const hsize_t dims[1] = {n};
    Handle space = make(H5Screate_simple(1, dims, nullptr), H5Sclose, "cannot create dataspace for " + path);
    Handle dcpl = dataset_props();
    Handle dset = make(
        H5Dcreate2(file.get(), path.c_str(), file_type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
        H5Dclose, "cannot create dataset " + path);
    if (n > 0) {
      check(H5Dwrite(dset.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), "cannot write " + path);
    }
    describe(dset.get(), meta);
    return dset;
  }

  Handle index_scale(const std::string& path, const char* dim_name, std::size_t n, const Meta& meta) const {
    std::vector<int> index(n);
    for (std::size_t i = 0; i < n; ++i) index[i] = static_cast<int>(i);
    Handle dset = fixed_dataset(path, H5T_STD_I32LE, H5T_NATIVE_INT, n, index.data(), meta);
    check(H5DSset_scale(dset.get(), dim_name), "cannot make " + path + " a dimension scale");
    return dset;
  }

  Handle string_dataset(const std::string& path, const std::vector<std::string>& values, const Handle& scale,
                        const Meta& meta) const {
    std::vector<const char*> data;
    data.reserve(values.size());
    for (const std::string& v : values) data.push_back(v.c_str());
    Handle type = utf8_string_type();
    Handle dset = fixed_dataset(path, type.get(), type.get(), values.size(), data.data(), meta);
    attach(dset.get(), scale.get(), 0, path);
    return dset;
  }

  // Time-extendible chunked dataset, empty until the first append(). Float
  // datasets are filled with NaN, so rows not yet written never read as 0.
  // column_scale is H5I_INVALID_HID for a [T] dataset.
  Series series(const std::string& path, hid_t file_type, hid_t mem_type, hid_t column_scale,
                std::size_t width, const Meta& meta) const {
    Series s;
    s.mem_type = mem_type;
    s.per_row_vector = column_scale != H5I_INVALID_HID;
    s.width = width;
    const int rank = s.per_row_vector ? 2 : 1;
    // A zero-width dimension still needs a positive chunk size.
    const hsize_t cols = std::max<hsize_t>(width, 1);
    const hsize_t dims[2] = {0, width};
    const hsize_t maxdims[2] = {H5S_UNLIMITED, cols};
    const hsize_t chunk[2] = {kChunkRows, cols};
    Handle space =
        make(H5Screate_simple(rank, dims, maxdims), H5Sclose, "cannot create dataspace for " + path);
    Handle dcpl = dataset_props();
    check(H5Pset_chunk(dcpl.get(), rank, chunk), "cannot set chunking of " + path);
    // A checksum per chunk: readers detect damaged numbers instead of returning them.
    check(H5Pset_fletcher32(dcpl.get()), "cannot set the checksum filter of " + path);
    if (H5Tget_class(file_type) == H5T_FLOAT) {
      const double nan = std::numeric_limits<double>::quiet_NaN();
      check(H5Pset_fill_value(dcpl.get(), H5T_NATIVE_DOUBLE, &nan), "cannot set the fill value of " + path);
    }
    s.dset = make(
        H5Dcreate2(file.get(), path.c_str(), file_type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
        H5Dclose, "cannot create dataset " + path);
    describe(s.dset.get(), meta);
    if (path != "/time") attach(s.dset.get(), time.dset.get(), 0, path);
    if (s.per_row_vector) attach(s.dset.get(), column_scale, 1, path);
    return s;
  }

  // Time-extendible [T, n1, n2] dataset (rank 3), scales on dimensions 1 and 2.
  Series series3(const std::string& path, hid_t file_type, hid_t mem_type, hid_t scale1, std::size_t n1,
                 hid_t scale2, std::size_t n2, const Meta& meta) const {
    Series s;
    s.mem_type = mem_type;
    s.per_row_vector = true;
    s.width = n1;
    s.width2 = n2;
    const hsize_t dims[3] = {0, n1, n2};
    const hsize_t maxdims[3] = {H5S_UNLIMITED, n1, n2};
    const hsize_t chunk[3] = {kChunkRows, std::max<hsize_t>(n1, 1), std::max<hsize_t>(n2, 1)};
    Handle space = make(H5Screate_simple(3, dims, maxdims), H5Sclose, "cannot create dataspace for " + path);
    Handle dcpl = dataset_props();
    check(H5Pset_chunk(dcpl.get(), 3, chunk), "cannot set chunking of " + path);
    check(H5Pset_fletcher32(dcpl.get()), "cannot set the checksum filter of " + path);
    s.dset = make(
        H5Dcreate2(file.get(), path.c_str(), file_type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
        H5Dclose, "cannot create dataset " + path);
    describe(s.dset.get(), meta);
    attach(s.dset.get(), time.dset.get(), 0, path);
    attach(s.dset.get(), scale1, 1, path);
    attach(s.dset.get(), scale2, 2, path);
    return s;
  }

  // Grows `s` by `k` rows (to rows + k) and writes `data` (k rows of width values, or width x width2
  // row-major for rank 3, one row after the other) into them.
  void write_rows(Series& s, hsize_t k, const void* data, const char* name) const {
    const hsize_t dims[3] = {rows + k, s.width, s.width2};
    check(H5Dset_extent(s.dset.get(), dims), std::string("cannot extend ") + name);
    const hsize_t row_values = s.per_row_vector ? s.width * (s.width2 > 0 ? s.width2 : 1) : 1;
    if (row_values == 0) return;
    Handle space =
        make(H5Dget_space(s.dset.get()), H5Sclose, std::string("cannot get the dataspace of ") + name);
    const hsize_t start[3] = {rows, 0, 0};
    const hsize_t count[3] = {k, s.width, s.width2};
    check(H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr),
          std::string("cannot select the new rows of ") + name);
    const hsize_t mem_dims[1] = {k * row_values};
    Handle mem = make(H5Screate_simple(1, mem_dims, nullptr), H5Sclose, "cannot create a row dataspace");
    check(H5Dwrite(s.dset.get(), s.mem_type, mem.get(), space.get(), H5P_DEFAULT, data),
          std::string("cannot write rows ") + std::to_string(rows) + " to " + std::to_string(rows + k - 1) +
              " of " + name);
  }

  // The values of `get(obs)` (a scalar, or a vector of `width` values) of the pending rows, row after row.
  template <class T, class Get>
  static std::vector<T> gather(const std::vector<Observables>& rows_in, Get get, std::size_t width) {
    std::vector<T> out;
    out.reserve(rows_in.size() * width);
    for (const Observables& o : rows_in) {
      const auto& v = get(o);
      if constexpr (std::is_arithmetic_v<std::decay_t<decltype(v)>>)
        out.push_back(v);
      else
        out.insert(out.end(), v.begin(), v.end());
    }
    return out;
  }

  // Writes the pending rows to the file (no flush).
  void write_pending() {
    write_batch(pending);
    pending.clear();
  }

  // Writes `rows_in` to the file after the rows already there (no flush).
  void write_batch(const std::vector<Observables>& rows_in) {
    if (rows_in.empty()) return;
    const hsize_t k = rows_in.size();
    write_rows(time, k,
               gather<int>(
                   rows_in, [](const Observables& o) -> const int& { return o.step; }, 1)
                   .data(),
               "/time");
    write_rows(customers, k,
               gather<std::int64_t>(
                   rows_in, [](const Observables& o) -> const auto& { return o.customers; }, firms)
                   .data(),
               "/firms/customers");
    for (std::size_t f = 0; f < kFirmF64.size(); ++f) {
      const auto field = kFirmF64[f].field;
      write_rows(firm_f64[f], k,
                 gather<double>(
                     rows_in, [field](const Observables& o) -> const auto& { return o.*field; }, firms)
                     .data(),
                 kFirmF64[f].name);
      if (f == kFirmF64.size() / 2)
        for (hsize_t r = rows; r < rows + k; ++r) fault_point("row", static_cast<long long>(r));
    }
    write_rows(strategy_id, k,
               gather<std::int32_t>(
                   rows_in, [](const Observables& o) -> const auto& { return o.strategy_id; }, firms)
                   .data(),
               "/firms/strategy_id");
    write_rows(alive, k,
               gather<std::uint8_t>(
                   rows_in, [](const Observables& o) -> const auto& { return o.alive; }, firms)
                   .data(),
               "/firms/alive");
    write_rows(adopters, k,
               gather<std::int64_t>(
                   rows_in, [](const Observables& o) -> const auto& { return o.adopters; }, 1)
                   .data(),
               "/market/adopters");
    for (std::size_t f = 0; f < kMarketF64.size(); ++f) {
      const auto field = kMarketF64[f].field;
      write_rows(market_f64[f], k,
                 gather<double>(
                     rows_in, [field](const Observables& o) -> const auto& { return o.*field; }, 1)
                     .data(),
                 kMarketF64[f].name);
    }
    for (std::size_t f = 0; f < kAttributeF64.size(); ++f) {
      const auto field = kAttributeF64[f].field;
      write_rows(attribute_f64[f], k,
                 gather<double>(
                     rows_in, [field](const Observables& o) -> const auto& { return o.*field; }, attributes)
                     .data(),
                 kAttributeF64[f].name);
    }
    if (segments > 0) {
      write_rows(segment_customers, k,
                 gather<std::int64_t>(
                     rows_in, [](const Observables& o) -> const auto& { return o.segment_customers; },
                     segments* firms)
                     .data(),
                 "/segments/customers");
      write_rows(values_customers, k,
                 gather<std::int64_t>(
                     rows_in, [](const Observables& o) -> const auto& { return o.values_customers; },
                     segments* firms)
                     .data(),
                 "/segments/values_customers");
    }
    rows += k;
  }

  // The background writer (see `worker` above).
  void worker_loop() {
    {
      // Every HDF5 call, this one too, is inside an Hdf5Use section (another run's check may fork:
      // hdf5_guard.hpp).
      const Hdf5Use in_hdf5;
      quiet_hdf5_errors();
    }
    std::unique_lock lock(worker_mutex);
    for (;;) {
      worker_cv.wait(lock, [&] { return worker_busy || worker_quit; });
      if (!worker_busy) return;
      lock.unlock();
      try {
        const Hdf5Use in_hdf5;
        write_batch(batch);
        check(H5Fflush(file.get(), H5F_SCOPE_LOCAL), "cannot flush the file");
      } catch (...) {
        worker_error = std::current_exception();
      }
      batch.clear();
      lock.lock();
      worker_busy = false;
      worker_cv.notify_all();
    }
  }

  // Waits until the background writer has written what it was given; throws what it failed at. A
  // failure stays: the rows it was writing are lost, so the file can only be abandoned.
  // Never called inside an Hdf5Use section: the thread may need one to finish.
  void wait_for_worker() {
    std::unique_lock lock(worker_mutex);
    worker_cv.wait(lock, [&] { return !worker_busy; });
    if (worker_error) std::rethrow_exception(worker_error);
  }

  // Writes and flushes the pending rows, on the background writer unless flushes are inline.
  void flush_pending() {
    wait_for_worker();
    if (inline_flushes) {
      const Hdf5Use in_hdf5;
      quiet_hdf5_errors();
      write_pending();
      check(H5Fflush(file.get(), H5F_SCOPE_LOCAL), "cannot flush the file");
      return;
    }
    {
      const std::lock_guard lock(worker_mutex);
      batch.swap(pending);
      worker_busy = true;
    }
    pending.clear();
    if (!worker.joinable()) {
      worker = std::thread([this] { worker_loop(); });
    }
    worker_cv.notify_all();
  }

  // Ends the background writer after its batch; what it failed at stays for wait_for_worker().
  void stop_worker() noexcept {
    if (!worker.joinable()) return;
    {
      const std::lock_guard lock(worker_mutex);
      worker_quit = true;
    }
    worker_cv.notify_all();
    worker.join();
  }

  void close_all() {
    Series* all[] = {&time,     &customers,         &strategy_id,     &alive,
                     &adopters, &segment_customers, &values_customers};
    for (Series& s : attribute_f64) s.dset.reset();
    for (Series* s : all) s->dset.reset();
    for (Series& s : firm_f64) s.dset.reset();
    for (Series& s : market_f64) s.dset.reset();
    firm_scale.reset();
    attribute_scale.reset();
    strategy_scale.reset();
    segment_scale.reset();
    if (file.reset() < 0) {
      hdf5_close_failed();
      fail("cannot close the file");
    }
  }
};

TrajectoryWriter::TrajectoryWriter(const std::string& path, const RunInfo& info, const Provenance& prov,
                                   int flush_every)
    : impl_(std::make_unique<Impl>()) {
  const Hdf5Use in_hdf5;
  Impl& w = *impl_;
  w.final_path = path;
  w.partial_path = path + ".partial";
  if (flush_every < 1) {
    throw std::invalid_argument("TrajectoryWriter: flush_every must be at least 1, got " +
                                std::to_string(flush_every));
  }
  if (info.firm_strategies.size() != info.firm_names.size()) {
    throw std::invalid_argument("TrajectoryWriter: RunInfo has " + std::to_string(info.firm_names.size()) +
                                " firm names but " + std::to_string(info.firm_strategies.size()) +
                                " firm strategies");
  }
  if (info.attributes < 0) {
    throw std::invalid_argument("TrajectoryWriter: RunInfo::attributes must be >= 0, got " +
                                std::to_string(info.attributes));
  }
  const std::string digest = sha256_hex(prov.scenario_toml);
  if (!prov.scenario_sha256.empty() && prov.scenario_sha256 != digest) {
    throw std::invalid_argument("TrajectoryWriter: Provenance::scenario_sha256 " + prov.scenario_sha256 +
                                " is not the SHA-256 of the scenario text (" + digest + ")");
  }
  w.flush_every = flush_every;
  w.firms = info.firm_names.size();
  w.attributes = static_cast<std::size_t>(info.attributes);
  w.strategies = info.strategy_names.size();
  w.segments = info.segment_names.size();
  if (info.segment_population.size() != w.segments || info.segment_values_population.size() != w.segments) {
    throw std::invalid_argument(
        "TrajectoryWriter: RunInfo has " + std::to_string(w.segments) + " segment names but " +
        std::to_string(info.segment_population.size()) + " segment populations and " +
        std::to_string(info.segment_values_population.size()) + " values-driven populations");
  }

  namespace fs = std::filesystem;
  const fs::path dir = fs::path(w.partial_path).parent_path();
  std::error_code ec;
  if (!dir.empty() && !fs::is_directory(dir, ec)) {
    throw std::runtime_error("cannot create trajectory '" + w.partial_path + "': directory '" + dir.string() +
                             "' does not exist or is not a directory");
  }

  quiet_hdf5_errors();

  {
    Handle fcpl = w.make(H5Pcreate(H5P_FILE_CREATE), H5Pclose, "cannot create file properties");
    w.check(H5Pset_obj_track_times(fcpl.get(), false), "cannot disable root group time tracking");
    Handle fapl = w.make(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "cannot create file access properties");
    // Semi: closing the file fails loudly if an object inside is still open.
    w.check(H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_SEMI), "cannot set the file close degree");
    // The earliest file format on purpose: the 1.10 format would checksum the
    // metadata, but it marks the superblock of a file open for writing, and the
    // .partial file of a killed run could then not be opened without h5clear.
    const hid_t fid = H5Fcreate(w.partial_path.c_str(), H5F_ACC_TRUNC, fcpl.get(), fapl.get());
    if (fid < 0) {
      const std::string detail = hdf5_error_detail();
      // Created empty but never written (a full disk): remove it. A file that
      // holds bytes is left alone: it may be someone else's.
      std::error_code ignored;
      if (fs::is_regular_file(w.partial_path, ignored) && fs::file_size(w.partial_path, ignored) == 0)
        fs::remove(w.partial_path, ignored);
      throw std::runtime_error("cannot create trajectory '" + w.partial_path + "'" +
                               (detail.empty() ? "" : ": " + detail));
    }
    w.file = Handle(fid, H5Fclose);
  }

  try {
    const hid_t root = w.file.get();
    w.string_attribute(root, "format", "missionsim-trajectory");
    const int version = kFormatVersion;
    w.scalar_attribute(root, "format_version", H5T_STD_I32LE, H5T_NATIVE_INT, &version);
    w.string_attribute(root, "missionsim_version", prov.missionsim_version);
    const std::uint64_t seed = prov.seed;
    w.scalar_attribute(root, "seed", H5T_STD_U64LE, H5T_NATIVE_UINT64, &seed);
    w.string_attribute(root, "scenario_sha256", digest);
    w.string_attribute(root, "created_utc", prov.created_utc);
    const std::int8_t incomplete = 0;
    w.scalar_attribute(root, "complete", H5T_STD_I8LE, H5T_NATIVE_INT8, &incomplete);

    {
      Handle type = w.utf8_string_type();
      Handle space = w.make(H5Screate(H5S_SCALAR), H5Sclose, "cannot create a scalar dataspace");
      Handle dcpl = w.dataset_props();
      Handle dset =
          w.make(H5Dcreate2(root, "scenario", type.get(), space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                 H5Dclose, "cannot create dataset /scenario");
      const char* text = prov.scenario_toml.c_str();
      w.check(H5Dwrite(dset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, &text),
              "cannot write /scenario");
      w.describe(dset.get(), {"", "resolved scenario (TOML)"});
    }
    w.texts = {{"/scenario", {prov.scenario_toml}},
               {"/strategies/name", info.strategy_names},
               {"/firms/name", info.firm_names},
               {"/firms/strategy", info.firm_strategies}};

    // Dimension scales. /time grows with append(); the others are fixed.
    w.time = w.series("/time", H5T_STD_I32LE, H5T_NATIVE_INT, H5I_INVALID_HID, 0,
                      {"step", "step index, 0 = initial state"});
    w.check(H5DSset_scale(w.time.dset.get(), "time"), "cannot make /time a dimension scale");
    w.firm_scale = w.index_scale("/firm", "firm", w.firms, {"1", "firm index"});
    w.attribute_scale = w.index_scale("/attribute", "attribute", w.attributes, {"1", "attribute index"});
    w.strategy_scale = w.index_scale("/strategy", "strategy", w.strategies, {"1", "strategy index"});

    {
      Handle group = w.create_group("strategies");
      w.string_dataset("/strategies/name", info.strategy_names, w.strategy_scale, {"", "strategy name"});
    }
    Handle firms_group = w.create_group("firms");
    w.string_dataset("/firms/name", info.firm_names, w.firm_scale, {"", "firm name"});
    w.string_dataset("/firms/strategy", info.firm_strategies, w.firm_scale,
                     {"", "strategy at t = 0, empty for a reserved entrant slot"});
    w.customers = w.series("/firms/customers", H5T_STD_I64LE, H5T_NATIVE_INT64, w.firm_scale.get(), w.firms,
                           {"customers", "customers of the firm"});
    for (const FirmF64& f : kFirmF64) {
      w.firm_f64.push_back(w.series(std::string("/firms/") + f.name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                                    w.firm_scale.get(), w.firms, f.meta));
    }
    w.strategy_id = w.series("/firms/strategy_id", H5T_STD_I32LE, H5T_NATIVE_INT32, w.firm_scale.get(),
                             w.firms, {"1", "index into /strategies/name, -1 for an empty slot"});
    w.alive = w.series("/firms/alive", H5T_STD_U8LE, H5T_NATIVE_UINT8, w.firm_scale.get(), w.firms,
                       {"1", "1 if the firm operates, 0 otherwise"});

    Handle market_group = w.create_group("market");
    w.adopters = w.series("/market/adopters", H5T_STD_I64LE, H5T_NATIVE_INT64, H5I_INVALID_HID, 0,
                          {"customers", "customers who have adopted a firm"});
    for (const MarketF64& f : kMarketF64) {
      w.market_f64.push_back(w.series(std::string("/market/") + f.name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                                      H5I_INVALID_HID, 0, f.meta));
    }
    for (const AttributeF64& f : kAttributeF64) {
      w.attribute_f64.push_back(w.series(std::string("/market/") + f.name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                                         w.attribute_scale.get(), w.attributes, f.meta));
    }
    if (w.segments > 0) {
      // Added within version 2 (docs/OUTPUT.md, "/segments"): customers by segment and values orientation.
      Handle segments_group = w.create_group("segments");
      w.segment_scale = w.index_scale("/segment", "segment", w.segments, {"1", "segment index"});
      w.string_dataset("/segments/name", info.segment_names, w.segment_scale,
                       {"", "segment name ([[segments]] of the scenario)"});
      w.texts.push_back({"/segments/name", info.segment_names});
      Handle pop = w.fixed_dataset("/segments/population", H5T_STD_I64LE, H5T_NATIVE_INT64, w.segments,
                                   info.segment_population.data(), {"customers", "customers in the segment"});
      w.attach(pop.get(), w.segment_scale.get(), 0, "/segments/population");
      Handle vpop = w.fixed_dataset("/segments/values_population", H5T_STD_I64LE, H5T_NATIVE_INT64,
                                    w.segments, info.segment_values_population.data(),
                                    {"customers", "values-driven customers in the segment"});
      w.attach(vpop.get(), w.segment_scale.get(), 0, "/segments/values_population");
      w.segment_customers =
          w.series3("/segments/customers", H5T_STD_I64LE, H5T_NATIVE_INT64, w.segment_scale.get(), w.segments,
                    w.firm_scale.get(), w.firms, {"customers", "customers of each firm in each segment"});
      w.values_customers = w.series3(
          "/segments/values_customers", H5T_STD_I64LE, H5T_NATIVE_INT64, w.segment_scale.get(), w.segments,
          w.firm_scale.get(), w.firms,
          {"customers", "values-driven customers of each firm in each segment (docs/MODEL.md Eq. 2, 53)"});
    }
    w.check(H5Fflush(root, H5F_SCOPE_LOCAL), "cannot flush the file");
    fault_point("after-create");
  } catch (...) {
    // A half-written file is of no use to anyone: close and remove it.
    try {
      w.close_all();
    } catch (...) {
    }
    std::error_code ignored;
    fs::remove(w.partial_path, ignored);
    throw;
  }
}

TrajectoryWriter::~TrajectoryWriter() {
  if (!impl_) return;
  try {
    abandon();  // waits for the background writer before it holds Hdf5Use
  } catch (...) {
    // A destructor must not throw; the file keeps complete = 0.
  }
  const Hdf5Use in_hdf5;
  quiet_hdf5_errors();
  impl_.reset();  // closes the HDF5 handles inside the hold
}

void TrajectoryWriter::append(const Observables& obs) {
  Impl& w = *impl_;
  if (w.state != Impl::State::open) {
    throw std::logic_error("TrajectoryWriter::append: '" + w.partial_path +
                           "' is already finished or abandoned");
  }
  auto expect = [&](std::size_t size, std::size_t want, const char* name, const char* dim) {
    if (size != want) {
      throw std::invalid_argument("TrajectoryWriter::append: step " + std::to_string(obs.step) + ": " + name +
                                  " has " + std::to_string(size) + " values, expected " +
                                  std::to_string(want) + " (" + dim + ")");
    }
  };
  if (w.appended > 0 && obs.step <= w.last_step) {
    throw std::invalid_argument("TrajectoryWriter::append: step " + std::to_string(obs.step) +
                                " does not follow step " + std::to_string(w.last_step));
  }
  expect(obs.customers.size(), w.firms, "customers", "firms");
  for (const FirmF64& f : kFirmF64) expect((obs.*f.field).size(), w.firms, f.name, "firms");
  expect(obs.strategy_id.size(), w.firms, "strategy_id", "firms");
  expect(obs.alive.size(), w.firms, "alive", "firms");
  for (const AttributeF64& f : kAttributeF64)
    expect((obs.*f.field).size(), w.attributes, f.name, "attributes");
  if (w.segments > 0) {
    expect(obs.segment_customers.size(), w.segments * w.firms, "segment_customers", "segments x firms");
    expect(obs.values_customers.size(), w.segments * w.firms, "values_customers", "segments x firms");
  }
  for (std::size_t i = 0; i < w.firms; ++i) {
    const std::int32_t id = obs.strategy_id[i];
    if (id < -1 || id >= static_cast<std::int64_t>(w.strategies)) {
      throw std::invalid_argument("TrajectoryWriter::append: step " + std::to_string(obs.step) +
                                  ": strategy_id[" + std::to_string(i) + "] = " + std::to_string(id) +
                                  " is not in [-1, " + std::to_string(w.strategies) + ")");
    }
  }

  w.pending.push_back(obs);
  ++w.appended;
  w.last_step = obs.step;
  if (w.appended % static_cast<hsize_t>(w.flush_every) == 0) w.flush_pending();
  fault_point("after-row", static_cast<long long>(w.appended - 1));
}

void TrajectoryWriter::wait_for_flushes() { impl_->wait_for_worker(); }

void TrajectoryWriter::finish() {
  Impl& w = *impl_;
  if (w.state != Impl::State::open) {
    throw std::logic_error("TrajectoryWriter::finish: '" + w.partial_path +
                           "' is already finished or abandoned");
  }
  w.wait_for_worker();
  w.stop_worker();
  std::optional<Hdf5Use> in_hdf5(std::in_place);
  quiet_hdf5_errors();
  w.state = Impl::State::finished;
  w.write_pending();
  w.check(H5Fflush(w.file.get(), H5F_SCOPE_LOCAL), "cannot flush the file");
  fault_point("before-complete");
  {
    Handle attr =
        w.make(H5Aopen(w.file.get(), "complete", H5P_DEFAULT), H5Aclose, "cannot open attribute complete");
    const std::int8_t complete = 1;
    w.check(H5Awrite(attr.get(), H5T_NATIVE_INT8, &complete), "cannot write attribute complete");
  }
  // The digest vouches for everything else, complete = 1 included; it is
  // computed by reading the file back through HDF5, exactly as readers do.
  std::string digest;
  try {
    // First each object's digest (to name what a damaged file lost), then
    // the file's, which covers that list too: one read of the file, then
    // one of the list.
    digest = content_digest_adding(w.file.get(), kObjectDigestsDataset, [&](const ContentDigest& objects) {
      const std::vector<std::string> lines = object_digest_lines(objects);
      std::vector<const char*> data;
      for (const std::string& line : lines) data.push_back(line.c_str());
      Handle type = w.utf8_string_type();
      w.fixed_dataset(
          kObjectDigestsDataset, type.get(), type.get(), data.size(), data.data(),
          {"", "SHA-256 of each object's record of the content digest, and its path (docs/OUTPUT.md)"});
    });
  } catch (const DamagedError& e) {
    w.fail(std::string("cannot compute the content digest: ") + e.what());
  }
  w.string_attribute(w.file.get(), kContentDigestAttribute, digest);
  fault_point("before-close");
  w.close_all();
  in_hdf5.reset();  // the check below forks (hdf5_guard.hpp)
  // The digest was computed through HDF5's caches; what counts is what the
  // file system holds. A write the disk refused (ENOSPC while HDF5 flushed a
  // dataset on close, say) fails here instead of being published.
  try {
    // Read back from disk in a child process (complete, content digest), then
    // opened here. The digest vouches for the file as it is; under a full disk,
    // text that libhdf5 accepted has been seen to come back empty, digest and
    // all. So the text is compared with what was meant to be written.
    const TrajectoryReader back(w.partial_path, TrajectoryReader::BeforePublishing{});
    for (const auto& [path, values] : w.texts)
      if (back.strings(path) != values)
        throw std::runtime_error(path + " does not hold the text written to it");
  } catch (const std::exception& e) {
    std::string why = e.what();
    struct statvfs fs {};
    const std::string dir = std::filesystem::path(w.partial_path).parent_path().string();
    if (::statvfs(dir.empty() ? "." : dir.c_str(), &fs) == 0 && fs.f_bavail == 0)
      why += " (the file system is full: " + std::string(std::strerror(ENOSPC)) + " (errno " +
             std::to_string(ENOSPC) + "))";
    throw std::runtime_error("HDF5 trajectory '" + w.partial_path +
                             "': the written file did not read back intact, so it is not published: " + why);
  }
  fault_point("before-rename");
  std::error_code ec;
  std::filesystem::rename(w.partial_path, w.final_path, ec);
  if (ec) {
    throw std::runtime_error("cannot rename trajectory '" + w.partial_path + "' to '" + w.final_path +
                             "': " + ec.message());
  }
  fault_point("after-rename");
}

void TrajectoryWriter::abandon() {
  Impl& w = *impl_;
  if (w.state != Impl::State::open) return;
  std::string written;  // why rows could not be written, if they could not
  try {
    w.wait_for_worker();
  } catch (const std::exception& e) {
    written = e.what();
  }
  w.stop_worker();
  const Hdf5Use in_hdf5;
  quiet_hdf5_errors();
  w.state = Impl::State::abandoned;
  // After rows the background writer failed to write, later rows would not follow the file's last.
  if (written.empty()) {
    try {
      w.write_pending();
    } catch (const std::exception& e) {
      written = e.what();
    }
  }
  const bool flushed = H5Fflush(w.file.get(), H5F_SCOPE_LOCAL) >= 0;
  const std::string detail = flushed ? "" : hdf5_error_detail();
  w.close_all();
  if (!written.empty()) throw std::runtime_error(written);
  if (!flushed)
    throw std::runtime_error("HDF5 trajectory '" + w.partial_path + "': cannot flush the file: " + detail);
}

const std::string& TrajectoryWriter::partial_path() const { return impl_->partial_path; }
const std::string& TrajectoryWriter::final_path() const { return impl_->final_path; }
std::int64_t TrajectoryWriter::hdf5_file() const {
  // The caller writes to the file from now on: rows are flushed inline, between its writes.
  impl_->wait_for_worker();
  impl_->stop_worker();
  impl_->inline_flushes = true;
  return impl_->file.get();
}

}  // namespace missionsim
