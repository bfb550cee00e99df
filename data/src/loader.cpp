#include "ss/data/loader.h"

#include <algorithm>
#include <cstring>

#include "ss/data/gpu.h"
#include "ss/data/labels.h"
#include "ss/data/splits.h"
#include "ss/kernels/error.h"
#include "ss/kernels/philox.h"

namespace ss::data {

namespace {
constexpr uint32_t kTagShuffle = 0x53480000u;

// Where the producer writes one batch (CPU tensors or a pinned staging slot).
struct Dest {
  float* x = nullptr;
  float* x2 = nullptr;
  int64_t* index = nullptr;
  int64_t* cls = nullptr;
  int64_t* pose = nullptr;
  int64_t* seg = nullptr;
  int64_t* inst = nullptr;
  float* depth = nullptr;
  float* mask = nullptr;
  uint8_t* dense_raw = nullptr;  // device augmentation: raw targets
  AugParams* p1 = nullptr;       // device augmentation: parameters per view
  AugParams* p2 = nullptr;
};

size_t align_up(size_t v) { return (v + 255) / 256 * 256; }
}  // namespace

struct Loader::Slot {
  void* mem = nullptr;
  void* event = nullptr;
  bool pending = false;  // an async copy out of this slot may still be running
  Dest d;
  ~Slot() {
    if (pending && event) {
      try {
        gpu::event_wait(event);
      } catch (...) {
      }
    }
    gpu::event_destroy(event);
    gpu::host_free_pinned(mem);
  }
};

struct Loader::Item {
  bool end = false;
  std::exception_ptr error;
  int64_t epoch = 0, step = 0, count = 0;
  Batch host;     // CPU device: the finished batch
  int slot = -1;  // CUDA device: staging slot
};

Loader::Loader(std::shared_ptr<const H5Dataset> ds, std::vector<int64_t> indices, LoaderOptions opt)
    : ds_(std::move(ds)), opt_(std::move(opt)) {
  SS_CHECK(ds_, "Loader: no dataset");
  const std::string where = "dataset file '" + ds_->path() + "'";
  SS_CHECK(!indices.empty(), "Loader: empty index list for ", where);
  for (int64_t i : indices)
    SS_CHECK(i >= 0 && i < ds_->size(), "Loader: index ", i, " outside [0, ", ds_->size(), ") of ", where);
  SS_CHECK(opt_.batch_size > 0, "Loader: batch_size must be positive, got ", opt_.batch_size);
  SS_CHECK(opt_.prefetch >= 1, "Loader: prefetch must be >= 1, got ", opt_.prefetch);
  SS_CHECK(opt_.cpu_threads >= 1, "Loader: cpu_threads must be >= 1, got ", opt_.cpu_threads);
  base_ = tile_epoch(indices, opt_.min_samples);
  SS_CHECK(batches_per_epoch() > 0, "Loader: drop_last with batch_size ", opt_.batch_size,
           " leaves no batch in an epoch of ", base_.size(), " samples");
  const int R = ds_->res();
  target_size_ = opt_.target_size <= 0 ? R : opt_.target_size;
  SS_CHECK(target_size_ <= R, "Loader: target_size ", target_size_, " larger than the images (", R, ") of ", where);
  want_pose_ = opt_.pose && !ds_->multi_object() && ds_->has_rot();
  if (opt_.device.is_cuda())
    SS_CHECK(cuda_available(), "Loader: device ", opt_.device.str(), " requested but no CUDA device is usable");
  SS_CHECK(!opt_.augment_on_device || opt_.device.is_cuda(), "Loader: augment_on_device needs a CUDA device");
  staged_ = opt_.device.is_cuda();
  if (staged_) {
    const size_t B = size_t(opt_.batch_size), img = B * 3 * size_t(R) * size_t(R) * sizeof(float);
    const size_t dense_px = B * size_t(target_size_) * size_t(target_size_);
    const bool dev_aug = opt_.augment_on_device;
    const bool multi = ds_->multi_object();
    const int nslots = opt_.prefetch + 2;
    for (int s = 0; s < nslots; ++s) {
      auto slot = std::make_unique<Slot>();
      // Lay out the sub-buffers, then allocate once.
      size_t off = 0;
      std::vector<std::pair<void**, size_t>> parts;
      auto want = [&](auto** p, size_t bytes) { parts.push_back({reinterpret_cast<void**>(p), bytes}); };
      Dest& d = slot->d;
      want(&d.x, img);
      if (opt_.two_views && !dev_aug) want(&d.x2, img);
      want(&d.index, B * 8);
      if (!multi) want(&d.cls, B * 8);
      if (want_pose_) want(&d.pose, B * 8);
      if (multi && dev_aug) want(&d.dense_raw, B * 3 * size_t(R) * size_t(R));
      if (multi && !dev_aug) {
        want(&d.seg, dense_px * 8);
        want(&d.inst, dense_px * 8);
        want(&d.depth, dense_px * 4);
        want(&d.mask, dense_px * 4);
      }
      if (dev_aug) {
        want(&d.p1, B * sizeof(AugParams));
        want(&d.p2, B * sizeof(AugParams));
      }
      for (auto& [p, bytes] : parts) off = align_up(off) + bytes;
      slot->mem = gpu::host_alloc_pinned(off);
      slot->event = gpu::event_create();
      off = 0;
      for (auto& [p, bytes] : parts) {
        off = align_up(off);
        *p = static_cast<char*>(slot->mem) + off;
        off += bytes;
      }
      slots_.push_back(std::move(slot));
      free_slots_.push_back(s);
    }
  }
}

Loader::~Loader() { stop(); }

int64_t Loader::batches_per_epoch() const {
  const int64_t n = int64_t(base_.size()), B = opt_.batch_size;
  return opt_.drop_last ? n / B : (n + B - 1) / B;
}

std::vector<int64_t> Loader::epoch_order(int64_t epoch) const {
  std::vector<int64_t> order = base_;
  if (!opt_.shuffle) return order;
  const uint64_t seed = opt_.seed;
  for (size_t i = order.size() - 1; i > 0; --i) {
    philox::U4 c{{uint32_t(i), uint32_t(uint64_t(i) >> 32), uint32_t(uint64_t(epoch)), kTagShuffle}};
    const uint32_t r = philox::philox4x32_10(c, uint32_t(seed), uint32_t(seed >> 32)).x[0];
    const size_t j = size_t((uint64_t(r) * uint64_t(i + 1)) >> 32);
    std::swap(order[i], order[j]);
  }
  return order;
}

void Loader::start(int64_t epoch) {
  stop_ = false;
  running_ = true;
  thread_ = std::thread([this, epoch] { produce(epoch); });
}

void Loader::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& it : queue_)
    if (it->slot >= 0) free_slots_.push_back(it->slot);
  queue_.clear();
  running_ = false;
  stop_ = false;
}

void Loader::seek(int64_t epoch) {
  SS_CHECK(epoch >= 0, "Loader::seek: negative epoch ", epoch);
  stop();
  epoch_ = epoch;
}

void Loader::produce(int64_t first_epoch) {
  auto push = [&](std::unique_ptr<Item> item, bool force) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return stop_ || force || int64_t(queue_.size()) < opt_.prefetch; });
    if (stop_) {
      if (item->slot >= 0) free_slots_.push_back(item->slot);
      return false;
    }
    queue_.push_back(std::move(item));
    cv_.notify_all();
    return true;
  };
  try {
    const int64_t nb = batches_per_epoch();
    for (int64_t e = first_epoch;; ++e) {
      const std::vector<int64_t> order = epoch_order(e);
      for (int64_t step = 0; step < nb; ++step) {
        auto item = std::make_unique<Item>();
        item->epoch = e;
        item->step = step;
        if (staged_) {
          std::unique_lock<std::mutex> lock(mu_);
          cv_.wait(lock, [&] { return stop_ || !free_slots_.empty(); });
          if (stop_) return;
          item->slot = free_slots_.back();
          free_slots_.pop_back();
        } else {
          std::lock_guard<std::mutex> lock(mu_);
          if (stop_) return;
        }
        if (item->slot >= 0 && slots_[size_t(item->slot)]->pending) {
          gpu::event_wait(slots_[size_t(item->slot)]->event);
          slots_[size_t(item->slot)]->pending = false;
        }
        const int slot = item->slot;
        try {
          fill(*item, e, step, order);
        } catch (...) {
          if (slot >= 0) {
            std::lock_guard<std::mutex> lock(mu_);
            free_slots_.push_back(slot);
          }
          throw;
        }
        if (!push(std::move(item), false)) return;
      }
      auto end = std::make_unique<Item>();
      end->end = true;
      end->epoch = e;
      if (!push(std::move(end), false)) return;
    }
  } catch (...) {
    auto err = std::make_unique<Item>();
    err->error = std::current_exception();
    push(std::move(err), true);
  }
}

void Loader::fill(Item& item, int64_t epoch, int64_t step, const std::vector<int64_t>& order) {
  const H5Dataset& ds = *ds_;
  const int R = ds.res();
  const int64_t B = opt_.batch_size, first = step * B;
  const int64_t n = std::min<int64_t>(B, int64_t(order.size()) - first);
  const int64_t ts = target_size_;
  const bool multi = ds.multi_object(), dev_aug = opt_.augment_on_device;
  item.count = n;
  std::span<const int64_t> idx(order.data() + first, size_t(n));

  Dest d;
  if (item.slot >= 0) {
    d = slots_[size_t(item.slot)]->d;
  } else {
    Batch& b = item.host;
    b.x = Tensor::empty({n, 3, R, R}, DType::F32);
    d.x = b.x.data<float>();
    if (opt_.two_views) {
      b.x2 = Tensor::empty({n, 3, R, R}, DType::F32);
      d.x2 = b.x2.data<float>();
    }
    b.index = Tensor::empty({n}, DType::I64);
    d.index = b.index.data<int64_t>();
    if (!multi) {
      b.y_class = Tensor::empty({n}, DType::I64);
      d.cls = b.y_class.data<int64_t>();
    }
    if (want_pose_) {
      b.y_pose = Tensor::empty({n}, DType::I64);
      d.pose = b.y_pose.data<int64_t>();
    }
    if (multi) {
      b.y_seg = Tensor::empty({n, ts, ts}, DType::I64);
      b.y_instance = Tensor::empty({n, ts, ts}, DType::I64);
      b.y_depth = Tensor::empty({n, 1, ts, ts}, DType::F32);
      b.depth_mask = Tensor::empty({n, 1, ts, ts}, DType::F32);
      d.seg = b.y_seg.data<int64_t>();
      d.inst = b.y_instance.data<int64_t>();
      d.depth = b.y_depth.data<float>();
      d.mask = b.depth_mask.data<float>();
    }
  }

  std::memcpy(d.index, idx.data(), size_t(n) * 8);

  // Augmentation parameters: a pure function of (seed, epoch, position in the epoch).
  std::vector<AugParams> p1, p2;
  if (opt_.augment) {
    p1 = draw_aug_params(opt_.aug, R, opt_.seed, uint64_t(epoch), uint64_t(first), n, 0);
    if (opt_.two_views) {
      p2 = draw_aug_params(opt_.aug, R, opt_.seed, uint64_t(epoch), uint64_t(first), n, 1);
      if (opt_.two_views_same_flip)
        for (int64_t i = 0; i < n; ++i) p2[size_t(i)].flip = p1[size_t(i)].flip;
    }
  } else {
    p1.assign(size_t(n), identity_params());
    if (opt_.two_views) p2 = p1;
  }

  // Images.
  if (dev_aug) {
    ds.read_images(idx, d.x);  // raw; the kernels augment on the GPU
    std::memcpy(d.p1, p1.data(), size_t(n) * sizeof(AugParams));
    if (opt_.two_views) std::memcpy(d.p2, p2.data(), size_t(n) * sizeof(AugParams));
  } else if (!opt_.augment && !opt_.two_views) {
    ds.read_images(idx, d.x);
  } else {
    std::vector<float> raw(size_t(n) * 3 * size_t(R) * size_t(R));
    ds.read_images(idx, raw.data());
    augment_images_cpu(p1.data(), n, R, raw.data(), d.x, opt_.cpu_threads);
    if (opt_.two_views) augment_images_cpu(p2.data(), n, R, raw.data(), d.x2, opt_.cpu_threads);
  }

  // Targets.
  if (!multi) {
    ds.read_labels(idx, d.cls);
    if (want_pose_) {
      std::vector<double> rot(size_t(n) * 9);
      ds.read_rot(idx, rot.data());
      pose_classes(rot.data(), n, d.pose);
    }
  } else if (dev_aug) {
    ds.read_dense(idx, d.dense_raw);
  } else {
    std::vector<uint8_t> raw(size_t(n) * 3 * size_t(R) * size_t(R));
    ds.read_dense(idx, raw.data());
    decode_dense_cpu(p1.data(), n, R, raw.data(), int(ts), d.seg, d.inst, d.depth, d.mask, opt_.cpu_threads);
  }
}

Batch Loader::finish(Item& item) {
  if (item.slot < 0) {
    item.host.epoch = item.epoch;
    item.host.step = item.step;
    item.host.index_host = item.host.index;
    return std::move(item.host);
  }
  // Staged (CUDA): async copies from the pinned slot, kernels for device augmentation.
  Slot& s = *slots_[size_t(item.slot)];
  const Dest& d = s.d;
  const Device dev = opt_.device;
  const int R = ds_->res();
  const int64_t n = item.count, ts = target_size_;
  const bool multi = ds_->multi_object(), dev_aug = opt_.augment_on_device;
  Batch b;
  b.epoch = item.epoch;
  b.step = item.step;
  auto upload = [&](const void* src, const Shape& shape, DType dt) {
    Tensor t = Tensor::empty(shape, dt, dev);
    gpu::copy_h2d_async(t.raw(), src, t.nbytes());
    return t;
  };
  std::exception_ptr err;
  try {
    b.index = upload(d.index, {n}, DType::I64);
    b.index_host = Tensor::empty({n}, DType::I64);
    std::memcpy(b.index_host.raw(), d.index, size_t(n) * sizeof(int64_t));
    if (!multi) b.y_class = upload(d.cls, {n}, DType::I64);
    if (want_pose_) b.y_pose = upload(d.pose, {n}, DType::I64);
    if (!dev_aug) {
      b.x = upload(d.x, {n, 3, R, R}, DType::F32);
      if (opt_.two_views) b.x2 = upload(d.x2, {n, 3, R, R}, DType::F32);
      if (multi) {
        b.y_seg = upload(d.seg, {n, ts, ts}, DType::I64);
        b.y_instance = upload(d.inst, {n, ts, ts}, DType::I64);
        b.y_depth = upload(d.depth, {n, 1, ts, ts}, DType::F32);
        b.depth_mask = upload(d.mask, {n, 1, ts, ts}, DType::F32);
      }
    } else {
      Tensor raw = upload(d.x, {n, 3, R, R}, DType::F32);
      const int64_t pbytes = n * int64_t(sizeof(AugParams));
      Tensor p1 = upload(d.p1, {pbytes}, DType::U8);
      b.x = Tensor::empty({n, 3, R, R}, DType::F32, dev);
      gpu::augment_images(static_cast<const AugParams*>(p1.raw()), n, R, raw.data<float>(), b.x.data<float>());
      if (opt_.two_views) {
        Tensor p2 = upload(d.p2, {pbytes}, DType::U8);
        b.x2 = Tensor::empty({n, 3, R, R}, DType::F32, dev);
        gpu::augment_images(static_cast<const AugParams*>(p2.raw()), n, R, raw.data<float>(), b.x2.data<float>());
      }
      if (multi) {
        Tensor dense = upload(d.dense_raw, {n, 3, R, R}, DType::U8);
        b.y_seg = Tensor::empty({n, ts, ts}, DType::I64, dev);
        b.y_instance = Tensor::empty({n, ts, ts}, DType::I64, dev);
        b.y_depth = Tensor::empty({n, 1, ts, ts}, DType::F32, dev);
        b.depth_mask = Tensor::empty({n, 1, ts, ts}, DType::F32, dev);
        gpu::decode_dense(static_cast<const AugParams*>(p1.raw()), n, R, dense.data<uint8_t>(), int(ts),
                          b.y_seg.data<int64_t>(), b.y_instance.data<int64_t>(), b.y_depth.data<float>(),
                          b.depth_mask.data<float>());
      }
    }
    gpu::event_record(s.event);
    s.pending = true;
  } catch (...) {
    err = std::current_exception();
    // The slot may still be read by copies already queued: wait before reusing it.
    try {
      gpu::synchronize();
    } catch (...) {
    }
    s.pending = false;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    free_slots_.push_back(item.slot);
  }
  cv_.notify_all();
  if (err) std::rethrow_exception(err);
  return b;
}

std::optional<Batch> Loader::next() {
  if (!running_) start(epoch_);
  std::unique_ptr<Item> item;
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !queue_.empty(); });
    item = std::move(queue_.front());
    queue_.pop_front();
  }
  cv_.notify_all();
  if (item->error) {
    stop();  // the producer has exited; the next call restarts this epoch
    std::rethrow_exception(item->error);
  }
  if (item->end) {
    epoch_ = item->epoch + 1;
    return std::nullopt;
  }
  return finish(*item);
}

}  // namespace ss::data
