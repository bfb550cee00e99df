// Batches over an index list of an H5Dataset, with per-epoch shuffling, epoch tiling,
// augmentation and a background prefetch thread.
//
// Determinism: the order of epoch e is a Philox Fisher-Yates shuffle keyed by (seed, e) of
// the tiled index list; sample k of epoch e is augmented with draw_aug_params(seed, e, k).
// Nothing depends on thread timing, so two loaders with the same options give identical
// batches, and seek(e) resumes exactly.
//
// Prefetching: one producer thread reads (HDF5, under hdf5_mutex()), decodes and augments
// up to `prefetch` batches ahead into a bounded queue. Destroying the loader (also
// mid-epoch) stops and joins it. An exception in the producer (bad file, ...) is rethrown
// by next().
//
// CUDA (device = cuda): batches are staged in page-locked host buffers and copied with
// cudaMemcpyAsync on the engine stream; a staging buffer is reused only after its copy's
// event has completed. With augment_on_device the producer only reads raw data and the
// augmentation runs in the CUDA kernels (bit-identical to the CPU path).
#pragma once
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "ss/data/augment.h"
#include "ss/data/h5dataset.h"
#include "ss/tensor.h"

namespace ss::data {

struct LoaderOptions {
  // Evaluation defaults: fixed order, no tiling, no augmentation, keep the last batch.
  static LoaderOptions eval(int64_t batch_size = 256) {
    LoaderOptions o;
    o.batch_size = batch_size;
    o.shuffle = false;
    o.min_samples = 0;
    o.augment = false;
    return o;
  }
  int64_t batch_size = 256;
  bool shuffle = true;
  uint64_t seed = 0;
  int64_t min_samples = 10000;  // epoch tiling: whole copies up to >= this many (0 = off;
                                // whole copies leave accuracy-type metrics unchanged)
  bool drop_last = false;       // drop a final partial batch
  bool augment = false;
  AugmentConfig aug;
  bool two_views = false;       // also return x2, a second augmentation of the same images
  bool two_views_same_flip = true;  // AMDIM: both views share the flip (authors' code)
  bool pose = true;             // y_pose when the file has rot_mat
  int target_size = 16;         // dense targets side (REFERENCE §3: 16); 0 = R
  Device device = Device::cpu();
  bool augment_on_device = false;  // CUDA only: run augmentation in the CUDA kernels
  int prefetch = 2;             // batches prepared ahead (bounded queue, >= 1)
  int cpu_threads = 1;          // OpenMP threads for CPU augmentation in the producer
                                // (1 leaves the cores to training; results never change)
};

struct Batch {
  Tensor x;           // f32 [B, 3, R, R] normalised LAB (augmented if enabled)
  Tensor x2;          // f32 [B, 3, R, R] second view (two_views only)
  Tensor index;       // i64 [B] dataset indices of the samples
  Tensor index_host;  // the same in host memory (for host-side use without a device read)
  Tensor y_class;     // i64 [B] (single-object files)
  Tensor y_pose;      // i64 [B] (single-object files with rot_mat, pose = true)
  Tensor y_seg;       // i64 [B, h, w] semantic class (multi-object files)
  Tensor y_instance;  // i64 [B, h, w] instance id
  Tensor y_depth;     // f32 [B, 1, h, w] depth (stored / 100)
  Tensor depth_mask;  // f32 [B, 1, h, w] 1 where the file has depth
  int64_t epoch = 0;
  int64_t step = 0;   // batch number within the epoch
  int64_t size() const { return x.defined() ? x.size(0) : 0; }
};

class Loader {
 public:
  Loader(std::shared_ptr<const H5Dataset> ds, std::vector<int64_t> indices, LoaderOptions opt = {});
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  // The next batch of the current epoch; std::nullopt once at the end of each epoch, after
  // which the next call starts the following epoch.
  std::optional<Batch> next();
  // Restart at the beginning of `epoch` (resume from a checkpoint).
  void seek(int64_t epoch);

  int64_t epoch() const { return epoch_; }  // epoch of the next batch
  int64_t epoch_size() const { return int64_t(base_.size()); }  // samples per epoch (tiled)
  int64_t batches_per_epoch() const;
  // The dataset indices of epoch e in the order they are served.
  std::vector<int64_t> epoch_order(int64_t epoch) const;
  const LoaderOptions& options() const { return opt_; }
  const H5Dataset& dataset() const { return *ds_; }

 private:
  struct Slot;
  struct Item;
  void start(int64_t epoch);
  void stop();
  void produce(int64_t first_epoch);
  void fill(Item& item, int64_t epoch, int64_t step, const std::vector<int64_t>& order);
  Batch finish(Item& item);

  std::shared_ptr<const H5Dataset> ds_;
  LoaderOptions opt_;
  std::vector<int64_t> base_;  // tiled index list (epoch before shuffling)
  bool want_pose_ = false;
  int target_size_ = 0;
  bool staged_ = false;  // CUDA staging through pinned slots

  int64_t epoch_ = 0;
  bool running_ = false;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::deque<std::unique_ptr<Item>> queue_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::vector<int> free_slots_;
};

}  // namespace ss::data
