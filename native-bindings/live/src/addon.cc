// pantap-live: a small, context-aware N-API addon over libpcap.
//
// Design notes
// - Context-aware: all per-environment state lives in the LiveAddon instance
//   (Napi::Addon<T>); there is no static mutable state, so the addon loads in the
//   main thread and in any number of worker_threads at once.
// - A capture handle's pcap_t lives in a shared PcapState. The JS LiveHandle and an
//   in-flight ReadWorker both hold a shared_ptr to it, so the memory outlives either.
//   The pcap_t is closed exactly once, under the state's mutex: by close() when no read
//   is running, otherwise by the read itself when it finishes (close() only flags the
//   request and wakes the reader through a self-pipe). No use-after-free is possible.
// - Reads run on the libuv thread pool. The handle is non-blocking; the worker polls
//   the selectable fd plus the wake pipe until the read deadline (timeoutMs).
// - A packet that does not fit in the caller's data buffer is copied into the state's
//   one-packet stash and emitted first by the next read: nothing is lost or truncated.
// - C++ exceptions are enabled (node_addon_api_except). Napi errors are only thrown on
//   the JS thread; the worker thread reports errors through a code + message pair.

#include <napi.h>
#include <pcap/pcap.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#ifdef __linux__
#include <netpacket/packet.h>
#endif
#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__)
#include <net/if_dl.h>
#endif

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace {

constexpr int kDefaultSnaplen = 262144;
constexpr int kMaxSnaplen = 262144;
constexpr int kDefaultBufferSize = 32 * 1024 * 1024;
constexpr int kDefaultTimeoutMs = 100;
constexpr size_t kRecWords = 6;
constexpr size_t kRecBytes = kRecWords * sizeof(uint32_t);
// Stop filling a batch once fewer than this many data bytes remain.
constexpr size_t kNearlyFull = 64;

// ---------------------------------------------------------------------------------
// Errors

Napi::Error MakeError(Napi::Env env, const std::string& code, const std::string& message) {
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, code));
  return err;
}

[[noreturn]] void ThrowCode(Napi::Env env, const std::string& code, const std::string& message) {
  throw MakeError(env, code, message);
}

// pcap_datalink() returns a DLT_* value; capture files (and our record batches) carry
// LINKTYPE_* values. They are equal except for a few historical ones.
uint32_t DltToLinktype(int dlt) {
  if (dlt == DLT_RAW) return 101;  // LINKTYPE_RAW (DLT_RAW is 12 or 14 by platform)
#ifdef DLT_ATM_RFC1483
  if (dlt == DLT_ATM_RFC1483) return 100;  // LINKTYPE_ATM_RFC1483
#endif
  return static_cast<uint32_t>(dlt);
}

// ---------------------------------------------------------------------------------
// Shared capture state

struct PcapState {
  std::mutex mu;
  pcap_t* p = nullptr;
  std::string device;
  bool reading = false;
  bool closeRequested = false;
  int selFd = -1;
  int wakeRead = -1;
  int wakeWrite = -1;
  int timeoutMs = kDefaultTimeoutMs;
  int snaplen = 0;
  uint32_t linktype = 0;
  int dlt = 0;
  bool nano = false;

  // One packet carried over from a read whose data buffer was full.
  bool havePending = false;
  pcap_pkthdr pendingHdr{};
  std::vector<uint8_t> pendingData;
  // An error met after some records were already returned; reported by the next read.
  std::string pendingError;

  // Caller holds mu (or is the only owner).
  void CloseLocked() {
    if (p != nullptr) {
      pcap_close(p);
      p = nullptr;
    }
    if (wakeRead >= 0) ::close(wakeRead);
    if (wakeWrite >= 0) ::close(wakeWrite);
    wakeRead = wakeWrite = -1;
    selFd = -1;
    havePending = false;
    pendingData.clear();
    pendingData.shrink_to_fit();
  }

  ~PcapState() { CloseLocked(); }
};

bool MakeWakePipe(int fds[2]) {
  if (::pipe(fds) != 0) return false;
  for (int i = 0; i < 2; i++) {
    int fl = ::fcntl(fds[i], F_GETFL);
    ::fcntl(fds[i], F_SETFL, fl | O_NONBLOCK);
    ::fcntl(fds[i], F_SETFD, FD_CLOEXEC);
  }
  return true;
}

// ---------------------------------------------------------------------------------
// Read worker

class ReadWorker : public Napi::AsyncWorker {
 public:
  ReadWorker(Napi::Env env, std::shared_ptr<PcapState> state, Napi::Object owner,
             Napi::ArrayBuffer data, Napi::ArrayBuffer index, size_t maxRecords)
      : Napi::AsyncWorker(env, "pantap-live:read"),
        deferred_(Napi::Promise::Deferred::New(env)),
        state_(std::move(state)),
        data_(static_cast<uint8_t*>(data.Data())),
        dataLen_(data.ByteLength()),
        index_(static_cast<uint8_t*>(index.Data())),
        maxRecords_(std::min(maxRecords, index.ByteLength() / kRecBytes)) {
    // Keep the handle and both buffers alive (and unmovable by GC) while we run.
    ownerRef_ = Napi::Persistent(owner);
    dataRef_ = Napi::Persistent(data);
    indexRef_ = Napi::Persistent(index);
  }

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      Run();
    } catch (const std::exception& e) {
      Fail("EPCAP", std::string("read failed: ") + e.what());
    } catch (...) {
      Fail("EPCAP", "read failed: unknown error");
    }
    // Hand the pcap_t back; honour a close() requested while we were running.
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->reading = false;
    if (state_->closeRequested) state_->CloseLocked();
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (!errCode_.empty()) {
      deferred_.Reject(MakeError(env, errCode_, errMessage_).Value());
      return;
    }
    Napi::Object result = Napi::Object::New(env);
    result.Set("count", Napi::Number::New(env, static_cast<double>(count_)));
    result.Set("bytes", Napi::Number::New(env, static_cast<double>(bytes_)));
    deferred_.Resolve(result);
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  void Fail(const std::string& code, const std::string& msg) {
    errCode_ = code;
    errMessage_ = msg;
  }

  void FailTooSmall(size_t caplen) {
    Fail("ERANGE", "data buffer (" + std::to_string(dataLen_) + " bytes) cannot hold the next " +
                       std::to_string(caplen) + "-byte packet (kept for the next read); use a buffer of at least snaplen (" +
                       std::to_string(state_->snaplen) + ") bytes");
  }

  static size_t Align4(size_t n) { return (n + 3) & ~static_cast<size_t>(3); }

  // Copy one packet into the batch. Returns false when it does not fit.
  bool Place(const pcap_pkthdr* h, const u_char* bytes) {
    size_t start = Align4(bytes_);
    size_t caplen = h->caplen;
    if (start > dataLen_ || caplen > dataLen_ - start) return false;
    std::memcpy(data_ + start, bytes, caplen);
    uint32_t rec[kRecWords];
    rec[0] = static_cast<uint32_t>(start);
    rec[1] = static_cast<uint32_t>(caplen);
    rec[2] = static_cast<uint32_t>(h->len);
    rec[3] = static_cast<uint32_t>(h->ts.tv_sec);
    uint64_t frac = static_cast<uint64_t>(h->ts.tv_usec);
    rec[4] = static_cast<uint32_t>(state_->nano ? frac : frac * 1000u);
    rec[5] = state_->linktype;
    std::memcpy(index_ + count_ * kRecBytes, rec, kRecBytes);
    bytes_ = start + caplen;
    count_++;
    return true;
  }

  bool Full() const {
    return count_ >= maxRecords_ || Align4(bytes_) + kNearlyFull > dataLen_;
  }

  void Run() {
    using Clock = std::chrono::steady_clock;
    const auto deadline = Clock::now() + std::chrono::milliseconds(state_->timeoutMs);

    {
      std::lock_guard<std::mutex> lock(state_->mu);
      if (!state_->pendingError.empty()) {
        Fail("EPCAP", state_->pendingError);
        state_->pendingError.clear();
        return;
      }
      if (state_->havePending && maxRecords_ > 0) {
        if (Place(&state_->pendingHdr, state_->pendingData.data())) {
          state_->havePending = false;
        } else {
          FailTooSmall(state_->pendingHdr.caplen);
          return;
        }
      }
    }

    while (!Full()) {
      int rc;
      {
        std::lock_guard<std::mutex> lock(state_->mu);
        if (state_->closeRequested || state_->p == nullptr) return;
        pcap_pkthdr* h = nullptr;
        const u_char* bytes = nullptr;
        rc = pcap_next_ex(state_->p, &h, &bytes);
        if (rc == 1) {
          if (!Place(h, bytes)) {
            // Keep it for the next read rather than losing or truncating it.
            state_->pendingHdr = *h;
            state_->pendingData.assign(bytes, bytes + h->caplen);
            state_->havePending = true;
            if (count_ == 0) FailTooSmall(h->caplen);  // could never fit this buffer
            return;
          }
        } else if (rc < 0) {
          std::string msg = rc == PCAP_ERROR_BREAK ? std::string("capture loop broken")
                                                   : std::string(pcap_geterr(state_->p));
          msg = "reading from " + state_->device + ": " + msg;
          if (count_ > 0) {
            state_->pendingError = msg;  // deliver what we have; fail the next read
          } else {
            Fail("EPCAP", msg);
          }
          return;
        }
      }
      auto now = Clock::now();
      if (now >= deadline) return;
      if (rc == 1) continue;

      // Nothing available: wait for the capture fd or a close() wake-up.
      int remaining = static_cast<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count()) + 1;
      pollfd fds[2];
      nfds_t n = 0;
      int wake = state_->wakeRead;  // fds are only closed by the reading thread or when idle
      int sel = state_->selFd;
      if (wake >= 0) fds[n++] = {wake, POLLIN, 0};
      if (sel >= 0) {
        fds[n++] = {sel, POLLIN, 0};
      } else {
        remaining = std::min(remaining, 10);  // no selectable fd: poll pcap in slices
      }
      int pr = ::poll(fds, n, remaining);
      if (pr > 0 && wake >= 0 && (fds[0].revents & POLLIN)) {
        char buf[16];
        while (::read(wake, buf, sizeof buf) > 0) {
        }
      }
    }
  }

  Napi::Promise::Deferred deferred_;
  std::shared_ptr<PcapState> state_;
  Napi::ObjectReference ownerRef_;
  Napi::Reference<Napi::ArrayBuffer> dataRef_;
  Napi::Reference<Napi::ArrayBuffer> indexRef_;
  uint8_t* data_;
  size_t dataLen_;
  uint8_t* index_;
  size_t maxRecords_;
  size_t count_ = 0;
  size_t bytes_ = 0;
  std::string errCode_;
  std::string errMessage_;
};

// ---------------------------------------------------------------------------------
// LiveHandle (JS class)

class LiveHandle : public Napi::ObjectWrap<LiveHandle> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "LiveHandle",
                       {
                           InstanceMethod<&LiveHandle::Read>("read"),
                           InstanceMethod<&LiveHandle::Stats>("stats"),
                           InstanceMethod<&LiveHandle::Close>("close"),
                           InstanceAccessor<&LiveHandle::GetLinktype>("linktype"),
                           InstanceAccessor<&LiveHandle::GetDlt>("dlt"),
                           InstanceAccessor<&LiveHandle::GetSnaplen>("snaplen"),
                           InstanceAccessor<&LiveHandle::GetDevice>("device"),
                           InstanceAccessor<&LiveHandle::GetPrecision>("tstampPrecision"),
                           InstanceAccessor<&LiveHandle::GetClosed>("closed"),
                       });
  }

  // Only constructible through open(): the first argument is an External carrying the
  // freshly activated state.
  LiveHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<LiveHandle>(info) {
    if (info.Length() < 1 || !info[0].IsExternal()) {
      throw Napi::TypeError::New(info.Env(), "LiveHandle cannot be constructed directly; use open()");
    }
    auto* holder = info[0].As<Napi::External<std::shared_ptr<PcapState>>>().Data();
    state_ = *holder;
    linktype_ = state_->linktype;
    dlt_ = state_->dlt;
    snaplen_ = state_->snaplen;
    nano_ = state_->nano;
    device_ = state_->device;
  }

  ~LiveHandle() override { DoClose(); }

 private:
  void DoClose() {
    if (!state_) return;
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      if (state_->reading) {
        // The reader closes the pcap_t when it returns; wake it now.
        state_->closeRequested = true;
        if (state_->wakeWrite >= 0) {
          char c = 1;
          ssize_t ignored = ::write(state_->wakeWrite, &c, 1);
          (void)ignored;
        }
      } else {
        state_->CloseLocked();
      }
    }
    state_.reset();
  }

  Napi::Value Read(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !info[0].IsArrayBuffer() || !info[1].IsArrayBuffer() || !info[2].IsNumber()) {
      throw Napi::TypeError::New(env, "read(data: ArrayBuffer, index: ArrayBuffer, maxRecords: number)");
    }
    Napi::ArrayBuffer data = info[0].As<Napi::ArrayBuffer>();
    Napi::ArrayBuffer index = info[1].As<Napi::ArrayBuffer>();
    double maxRec = info[2].As<Napi::Number>().DoubleValue();
    if (!(maxRec >= 1) || maxRec != static_cast<double>(static_cast<int64_t>(maxRec))) {
      throw Napi::RangeError::New(env, "maxRecords must be a positive integer");
    }
    if (data.IsDetached() || index.IsDetached()) {
      throw Napi::TypeError::New(env, "read(): data and index must not be detached");
    }
    if (index.ByteLength() < kRecBytes) {
      throw Napi::RangeError::New(env, "read(): index must hold at least one record (24 bytes)");
    }
    if (data.ByteLength() > 0xFFFFFFFFull) {
      throw Napi::RangeError::New(env, "read(): data must be at most 4 GiB (offsets are uint32)");
    }

    auto reject = [&](const char* code, const std::string& msg) {
      auto d = Napi::Promise::Deferred::New(env);
      d.Reject(MakeError(env, code, msg).Value());
      return d.Promise();
    };
    if (!state_) return reject("ECLOSED", "read(): handle is closed");
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      if (state_->p == nullptr) return reject("ECLOSED", "read(): handle is closed");
      if (state_->reading) return reject("EBUSY", "read(): a read is already in progress on this handle");
      state_->reading = true;
    }
    try {
      auto* worker = new ReadWorker(env, state_, Value(), data, index, static_cast<size_t>(maxRec));
      Napi::Promise promise = worker->Promise();
      worker->Queue();
      return promise;
    } catch (...) {
      std::lock_guard<std::mutex> lock(state_->mu);
      state_->reading = false;
      throw;
    }
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!state_) ThrowCode(env, "ECLOSED", "stats(): handle is closed");
    pcap_stat st{};
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      if (state_->p == nullptr) ThrowCode(env, "ECLOSED", "stats(): handle is closed");
      if (pcap_stats(state_->p, &st) != 0) {
        ThrowCode(env, "EPCAP", std::string("pcap_stats: ") + pcap_geterr(state_->p));
      }
    }
    Napi::Object o = Napi::Object::New(env);
    o.Set("received", Napi::Number::New(env, st.ps_recv));
    o.Set("dropped", Napi::Number::New(env, st.ps_drop));
    o.Set("ifDropped", Napi::Number::New(env, st.ps_ifdrop));
    return o;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    DoClose();
    return info.Env().Undefined();
  }

  Napi::Value GetLinktype(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), linktype_); }
  Napi::Value GetDlt(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), dlt_); }
  Napi::Value GetSnaplen(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), snaplen_); }
  Napi::Value GetDevice(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), device_); }
  Napi::Value GetPrecision(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), nano_ ? "nano" : "micro");
  }
  Napi::Value GetClosed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !state_); }

  std::shared_ptr<PcapState> state_;
  uint32_t linktype_ = 0;
  int dlt_ = 0;
  int snaplen_ = 0;
  bool nano_ = false;
  std::string device_;
};

// ---------------------------------------------------------------------------------
// listInterfaces helpers

Napi::Value FormatAddress(Napi::Env env, const sockaddr* sa, const char** family) {
  if (sa == nullptr) return env.Null();
  char buf[INET6_ADDRSTRLEN + 1] = {0};
  switch (sa->sa_family) {
    case AF_INET:
      *family = "inet";
      if (!inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf, sizeof buf)) return env.Null();
      return Napi::String::New(env, buf);
    case AF_INET6:
      *family = "inet6";
      if (!inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, buf, sizeof buf)) {
        return env.Null();
      }
      return Napi::String::New(env, buf);
#ifdef __linux__
    case AF_PACKET: {
      *family = "link";
      const auto* ll = reinterpret_cast<const sockaddr_ll*>(sa);
      std::string s;
      for (int i = 0; i < ll->sll_halen && i < 8; i++) {
        char b[4];
        std::snprintf(b, sizeof b, i ? ":%02x" : "%02x", ll->sll_addr[i]);
        s += b;
      }
      return Napi::String::New(env, s);
    }
#endif
#if defined(AF_LINK)
    case AF_LINK: {
      *family = "link";
      const auto* dl = reinterpret_cast<const sockaddr_dl*>(sa);
      const auto* a = reinterpret_cast<const unsigned char*>(LLADDR(dl));
      std::string s;
      for (int i = 0; i < dl->sdl_alen; i++) {
        char b[4];
        std::snprintf(b, sizeof b, i ? ":%02x" : "%02x", a[i]);
        s += b;
      }
      return Napi::String::New(env, s);
    }
#endif
    default:
      *family = nullptr;
      return env.Null();
  }
}

// ---------------------------------------------------------------------------------
// Option parsing

int IntOption(Napi::Env env, Napi::Object opts, const char* key, int def, int min, int max) {
  Napi::Value v = opts.Get(key);
  if (v.IsUndefined() || v.IsNull()) return def;
  if (!v.IsNumber()) throw Napi::TypeError::New(env, std::string("open(): ") + key + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= min && d <= max) || d != static_cast<double>(static_cast<int64_t>(d))) {
    throw Napi::RangeError::New(env, std::string("open(): ") + key + " must be an integer in [" +
                                         std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  return static_cast<int>(d);
}

bool BoolOption(Napi::Env env, Napi::Object opts, const char* key, bool def) {
  Napi::Value v = opts.Get(key);
  if (v.IsUndefined() || v.IsNull()) return def;
  if (!v.IsBoolean()) throw Napi::TypeError::New(env, std::string("open(): ") + key + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

struct PcapCloser {
  void operator()(pcap_t* p) const {
    if (p) pcap_close(p);
  }
};

// ---------------------------------------------------------------------------------
// BpfFilter (JS class): libpcap's filter compiler and interpreter for records read from
// files. pcap_compile needs a pcap_t only for its link type and snapshot length, so each
// link type gets a dead handle (pcap_open_dead) and its own program, compiled the first
// time a record of that type is filtered (a pcapng file can mix link types). A batch is
// filtered in one call: the record index (6 uint32 words per record, as read() fills it)
// is walked here and a keep mask written, so no JS runs per packet.

// The inverse of DltToLinktype: capture files carry LINKTYPE_* values, pcap_open_dead
// wants the DLT_* value of this platform.
int LinktypeToDlt(uint32_t linktype) {
  if (linktype == 101) return DLT_RAW;
#ifdef DLT_ATM_RFC1483
  if (linktype == 100) return DLT_ATM_RFC1483;
#endif
  return static_cast<int>(linktype);
}

struct CompiledFilter {
  uint32_t linktype = 0;
  bool ok = false;
  bpf_program prog{};
  std::string error;  // libpcap's message when !ok
};

class BpfFilter : public Napi::ObjectWrap<BpfFilter> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "BpfFilter",
                       {
                           InstanceMethod<&BpfFilter::Check>("check"),
                           InstanceMethod<&BpfFilter::Filter>("filter"),
                           InstanceAccessor<&BpfFilter::GetExpression>("expression"),
                       });
  }

  BpfFilter(const Napi::CallbackInfo& info) : Napi::ObjectWrap<BpfFilter>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "new BpfFilter(expression: string, snaplen?: number)");
    expression_ = info[0].As<Napi::String>().Utf8Value();
    if (info.Length() >= 2 && !info[1].IsUndefined()) {
      if (!info[1].IsNumber()) throw Napi::TypeError::New(env, "BpfFilter: snaplen must be a number");
      double d = info[1].As<Napi::Number>().DoubleValue();
      if (!(d >= 1 && d <= kMaxSnaplen) || d != static_cast<double>(static_cast<int64_t>(d))) {
        throw Napi::RangeError::New(env, "BpfFilter: snaplen must be an integer in [1, 262144]");
      }
      snaplen_ = static_cast<int>(d);
    }
  }

  ~BpfFilter() override {
    for (auto& c : compiled_) {
      if (c.ok) pcap_freecode(&c.prog);
    }
  }

 private:
  // The program for a link type, compiled on first use (failures are kept too).
  const CompiledFilter& For(uint32_t linktype) {
    for (const auto& c : compiled_) {
      if (c.linktype == linktype) return c;
    }
    CompiledFilter c;
    c.linktype = linktype;
    std::unique_ptr<pcap_t, PcapCloser> dead(pcap_open_dead(LinktypeToDlt(linktype), snaplen_));
    if (!dead) {
      c.error = "pcap_open_dead failed";
    } else if (pcap_compile(dead.get(), &c.prog, expression_.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
      c.error = pcap_geterr(dead.get());
    } else {
      c.ok = true;
    }
    compiled_.push_back(c);
    return compiled_.back();
  }

  // check(linktype): null when the expression compiles for it, else libpcap's message.
  Napi::Value Check(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(env, "check(linktype: number)");
    const CompiledFilter& c = For(info[0].As<Napi::Number>().Uint32Value() & 0xffff);
    return c.ok ? env.Null() : Napi::Value(Napi::String::New(env, c.error));
  }

  // filter(data, index, count, keep): keep[r] = 1 when record r matches, else 0; returns
  // the number kept. Throws EFILTER (with `linktype`) when the expression does not compile
  // for a record's link type, ERANGE when a record points outside `data`.
  Napi::Value Filter(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 4 || !info[0].IsArrayBuffer() || !info[1].IsArrayBuffer() || !info[2].IsNumber() || !info[3].IsTypedArray()) {
      throw Napi::TypeError::New(env, "filter(data: ArrayBuffer, index: ArrayBuffer, count: number, keep: Uint8Array)");
    }
    Napi::ArrayBuffer data = info[0].As<Napi::ArrayBuffer>();
    Napi::ArrayBuffer index = info[1].As<Napi::ArrayBuffer>();
    double countD = info[2].As<Napi::Number>().DoubleValue();
    Napi::TypedArray keepT = info[3].As<Napi::TypedArray>();
    if (keepT.TypedArrayType() != napi_uint8_array) throw Napi::TypeError::New(env, "filter(): keep must be a Uint8Array");
    Napi::Uint8Array keepA = keepT.As<Napi::Uint8Array>();
    if (!(countD >= 0) || countD != static_cast<double>(static_cast<int64_t>(countD))) {
      throw Napi::RangeError::New(env, "filter(): count must be a non-negative integer");
    }
    size_t count = static_cast<size_t>(countD);
    if (count > index.ByteLength() / kRecBytes || count > keepA.ElementLength()) {
      throw Napi::RangeError::New(env, "filter(): count exceeds the index or the keep mask");
    }
    const uint8_t* bytes = static_cast<const uint8_t*>(data.Data());
    const size_t dataLen = data.ByteLength();
    const uint8_t* idx = static_cast<const uint8_t*>(index.Data());
    uint8_t* keep = keepA.Data();
    const CompiledFilter* cur = nullptr;
    size_t kept = 0;
    pcap_pkthdr h{};
    for (size_t r = 0; r < count; r++) {
      uint32_t rec[kRecWords];
      std::memcpy(rec, idx + r * kRecBytes, kRecBytes);
      const uint32_t lt = rec[5] & 0xffff;
      if (cur == nullptr || cur->linktype != lt) {
        cur = &For(lt);
        if (!cur->ok) {
          Napi::Error err = MakeError(env, "EFILTER", cur->error);
          err.Set("linktype", Napi::Number::New(env, lt));
          throw err;
        }
      }
      if (static_cast<size_t>(rec[0]) > dataLen || static_cast<size_t>(rec[1]) > dataLen - rec[0]) {
        ThrowCode(env, "ERANGE", "filter(): record " + std::to_string(r) + " points outside data");
      }
      h.caplen = rec[1];
      h.len = rec[2];
      h.ts.tv_sec = static_cast<decltype(h.ts.tv_sec)>(rec[3]);
      h.ts.tv_usec = static_cast<decltype(h.ts.tv_usec)>(rec[4] / 1000);
      const bool match = pcap_offline_filter(&cur->prog, &h, bytes + rec[0]) != 0;
      keep[r] = match ? 1 : 0;
      kept += match ? 1 : 0;
    }
    return Napi::Number::New(env, static_cast<double>(kept));
  }

  Napi::Value GetExpression(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), expression_); }

  std::string expression_;
  int snaplen_ = kMaxSnaplen;
  // A few link types at most. For() appends, which may move the programs: callers keep
  // no pointer to one across a For() call.
  std::vector<CompiledFilter> compiled_;
};

// ---------------------------------------------------------------------------------
// The addon (one instance per Node environment)

class LiveAddon : public Napi::Addon<LiveAddon> {
 public:
  LiveAddon(Napi::Env env, Napi::Object exports) {
    Napi::Function ctor = LiveHandle::Init(env);
    handleCtor_ = Napi::Persistent(ctor);
    Napi::Function bpf = BpfFilter::Init(env);
    DefineAddon(exports, {
                             InstanceMethod<&LiveAddon::ListInterfaces>("listInterfaces"),
                             InstanceMethod<&LiveAddon::Open>("open"),
                             InstanceMethod<&LiveAddon::LibpcapVersion>("libpcapVersion"),
                             InstanceValue("LiveHandle", ctor),
                             InstanceValue("BpfFilter", bpf),
                         });
  }

 private:
  Napi::Value LibpcapVersion(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), pcap_lib_version());
  }

  Napi::Value ListInterfaces(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    char errbuf[PCAP_ERRBUF_SIZE] = {0};
    pcap_if_t* all = nullptr;
    if (pcap_findalldevs(&all, errbuf) != 0) {
      ThrowCode(env, "EPCAP", std::string("pcap_findalldevs: ") + errbuf);
    }
    std::unique_ptr<pcap_if_t, void (*)(pcap_if_t*)> guard(all, pcap_freealldevs);
    Napi::Array out = Napi::Array::New(env);
    uint32_t i = 0;
    for (pcap_if_t* d = all; d != nullptr; d = d->next) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("name", Napi::String::New(env, d->name ? d->name : ""));
      o.Set("description", d->description ? Napi::Value(Napi::String::New(env, d->description)) : env.Null());
      Napi::Array addrs = Napi::Array::New(env);
      uint32_t j = 0;
      for (pcap_addr_t* a = d->addresses; a != nullptr; a = a->next) {
        const char* family = nullptr;
        Napi::Value addr = FormatAddress(env, a->addr, &family);
        if (family == nullptr || addr.IsNull()) continue;
        const char* maskFamily = nullptr;
        Napi::Value mask = FormatAddress(env, a->netmask, &maskFamily);
        Napi::Object ao = Napi::Object::New(env);
        ao.Set("family", Napi::String::New(env, family));
        ao.Set("address", addr);
        ao.Set("netmask", maskFamily != nullptr && std::strcmp(maskFamily, family) == 0 ? mask : env.Null());
        addrs.Set(j++, ao);
      }
      o.Set("addresses", addrs);
      o.Set("loopback", Napi::Boolean::New(env, (d->flags & PCAP_IF_LOOPBACK) != 0));
      o.Set("up", Napi::Boolean::New(env, (d->flags & PCAP_IF_UP) != 0));
      o.Set("running", Napi::Boolean::New(env, (d->flags & PCAP_IF_RUNNING) != 0));
      out.Set(i++, o);
    }
    return out;
  }

  Napi::Value Open(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) {
      throw Napi::TypeError::New(env, "open(opts: { device: string, ... })");
    }
    Napi::Object opts = info[0].As<Napi::Object>();
    Napi::Value devV = opts.Get("device");
    if (!devV.IsString() || devV.As<Napi::String>().Utf8Value().empty()) {
      throw Napi::TypeError::New(env, "open(): device must be a non-empty string");
    }
    std::string device = devV.As<Napi::String>().Utf8Value();
    int snaplen = IntOption(env, opts, "snaplen", kDefaultSnaplen, 1, kMaxSnaplen);
    bool promisc = BoolOption(env, opts, "promiscuous", true);
    bool immediate = BoolOption(env, opts, "immediate", true);
    int bufferSize = IntOption(env, opts, "bufferSize", kDefaultBufferSize, 1, 0x7fffffff);
    int timeoutMs = IntOption(env, opts, "timeoutMs", kDefaultTimeoutMs, 1, 3600 * 1000);
    Napi::Value filterV = opts.Get("filter");
    bool haveFilter = false;
    std::string filter;
    if (!filterV.IsUndefined() && !filterV.IsNull()) {
      if (!filterV.IsString()) throw Napi::TypeError::New(env, "open(): filter must be a string");
      filter = filterV.As<Napi::String>().Utf8Value();
      haveFilter = true;
    }

    char errbuf[PCAP_ERRBUF_SIZE] = {0};
    std::unique_ptr<pcap_t, PcapCloser> p(pcap_create(device.c_str(), errbuf));
    if (!p) ThrowCode(env, "EPCAP", "pcap_create(" + device + "): " + errbuf);

    pcap_set_snaplen(p.get(), snaplen);
    pcap_set_promisc(p.get(), promisc ? 1 : 0);
    pcap_set_immediate_mode(p.get(), immediate ? 1 : 0);
    pcap_set_buffer_size(p.get(), bufferSize);
    pcap_set_timeout(p.get(), timeoutMs);
#ifdef PCAP_TSTAMP_PRECISION_NANO
    pcap_set_tstamp_precision(p.get(), PCAP_TSTAMP_PRECISION_NANO);  // falls back to micro if refused
#endif

    int rc = pcap_activate(p.get());
    if (rc < 0) {
      std::string detail = pcap_geterr(p.get());
      std::string status = pcap_statustostr(rc);
      if (detail.empty()) detail = status;
      switch (rc) {
        case PCAP_ERROR_PERM_DENIED:
        case PCAP_ERROR_PROMISC_PERM_DENIED:
          ThrowCode(env, "EPERM",
                    "permission denied opening " + device +
                        ": live capture needs root or CAP_NET_RAW (plus CAP_NET_ADMIN for promiscuous mode) (" +
                        detail + ")");
        case PCAP_ERROR_NO_SUCH_DEVICE:
          ThrowCode(env, "ENODEV", "no such capture device: " + device + " (" + detail + ")");
        default:
          ThrowCode(env, "EPCAP", "cannot open " + device + ": " + status +
                                      (detail != status ? " (" + detail + ")" : std::string()));
      }
    }
    // rc > 0 is a warning (e.g. promiscuous mode not supported): capture still works.

    if (haveFilter) {
      bpf_program prog{};
      if (pcap_compile(p.get(), &prog, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
        ThrowCode(env, "EFILTER", pcap_geterr(p.get()));
      }
      int src = pcap_setfilter(p.get(), &prog);
      pcap_freecode(&prog);
      if (src != 0) ThrowCode(env, "EFILTER", pcap_geterr(p.get()));
    }

    if (pcap_setnonblock(p.get(), 1, errbuf) != 0) {
      ThrowCode(env, "EPCAP", "pcap_setnonblock(" + device + "): " + errbuf);
    }

    auto state = std::make_shared<PcapState>();
    int fds[2];
    if (!MakeWakePipe(fds)) ThrowCode(env, "EPCAP", std::string("pipe(): ") + std::strerror(errno));
    state->wakeRead = fds[0];
    state->wakeWrite = fds[1];
    state->device = device;
    state->timeoutMs = timeoutMs;
    state->snaplen = pcap_snapshot(p.get());
    state->dlt = pcap_datalink(p.get());
    state->linktype = DltToLinktype(state->dlt);
#ifdef PCAP_TSTAMP_PRECISION_NANO
    state->nano = pcap_get_tstamp_precision(p.get()) == PCAP_TSTAMP_PRECISION_NANO;
#endif
    state->selFd = pcap_get_selectable_fd(p.get());
    state->p = p.release();

    std::shared_ptr<PcapState> holder = state;
    Napi::External<std::shared_ptr<PcapState>> ext = Napi::External<std::shared_ptr<PcapState>>::New(env, &holder);
    return handleCtor_.New({ext});
  }

  Napi::FunctionReference handleCtor_;
};

}  // namespace

NODE_API_ADDON(LiveAddon)
