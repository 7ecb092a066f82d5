#include "output/hdf5_guard.hpp"

#include <shared_mutex>

namespace missionsim {
namespace {

std::shared_mutex& fork_mutex() {
  static std::shared_mutex m;
  return m;
}

int& depth() {
  thread_local int d = 0;
  return d;
}

}  // namespace

Hdf5Use::Hdf5Use() {
  if (depth()++ == 0) fork_mutex().lock_shared();
}

Hdf5Use::~Hdf5Use() {
  if (--depth() == 0) fork_mutex().unlock_shared();
}

Hdf5Fork::Hdf5Fork() : held_(depth() == 0) {
  if (held_) fork_mutex().lock();
}

Hdf5Fork::~Hdf5Fork() {
  if (held_) fork_mutex().unlock();
}

}  // namespace missionsim
