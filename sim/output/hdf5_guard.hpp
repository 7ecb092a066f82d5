// Keeps fork() and HDF5 calls of other threads apart. libhdf5 (Debian's is
// built thread-safe) serialises its API with a process-wide lock; a process
// forked while another thread holds it inherits the lock held by a thread
// that does not exist in the child, whose first HDF5 call then waits forever.
// The trajectory reader forks a child to check a file (trajectory_reader.cpp),
// while the sweep runner's other jobs write theirs (on their own threads too:
// the writer's flushes, run_to_file's file creation), so every HDF5 section of
// the writer and the reader, on whatever thread, holds Hdf5Use, and the fork
// holds Hdf5Fork. A single HDF5 call outside one (H5Eset_auto2 at a thread's
// start) once left a forked child hanging in 1 of 320 sweep runs; Catch2
// "output: writers flushing on their threads while readers fork their checks"
// failed 5 times in 15 with that call unguarded.
#pragma once

namespace missionsim {

// Shared hold for the duration of a section that calls HDF5; re-entrant on one thread.
class Hdf5Use {
 public:
  Hdf5Use();
  ~Hdf5Use();
  Hdf5Use(const Hdf5Use&) = delete;
  Hdf5Use& operator=(const Hdf5Use&) = delete;
};

// Exclusive hold around fork(): no other thread is inside an Hdf5Use section.
// A thread that is itself inside one forks without waiting (it cannot wait on itself).
class Hdf5Fork {
 public:
  Hdf5Fork();
  ~Hdf5Fork();
  Hdf5Fork(const Hdf5Fork&) = delete;
  Hdf5Fork& operator=(const Hdf5Fork&) = delete;

 private:
  bool held_;
};

}  // namespace missionsim
