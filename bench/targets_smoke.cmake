# ctest bench.targets_smoke: runs bench/targets.sh at a tiny size and checks the shape of the table it
# prints (no timings): the header, the five figures each with a value and, where there is one, its
# target and a yes/no (and the three pinned to one CPU, where taskset is), the line of the roofline's
# parts (and the pinned one); and that a bad option fails with a message.
# cmake -DSCRIPT=<bench/targets.sh> -DDIR=<folder of bench_step and bench_roofline> -P targets_smoke.cmake
include(${CMAKE_CURRENT_LIST_DIR}/smoke.cmake)
smoke_run(targets.sh out bash ${SCRIPT} --bench-dir ${DIR} --customers 3000 --steps 2 --repeats 2 --stream-mib 8)
smoke_expect(targets.sh "${out}" "\n\\| figure \\| measured \\| target \\| met \\|\n\\|---\\|---:\\|---:\\|---\\|\n"
             "table header")
foreach(row
        "customer-steps/s end to end, 1 thread \\| [0-9]+\\.[0-9][0-9] M \\([0-9.]+-[0-9.]+\\) \\| >= 35 M \\| (yes|no) \\|"
        "customer-steps/s end to end, 2 threads \\| [0-9]+\\.[0-9][0-9] M \\| \\| \\|"
        "2 threads / 1 thread, median of the rounds \\| [0-9]+\\.[0-9][0-9]x \\([0-9.]+-[0-9.]+\\) \\| >= 1\\.85x \\| (yes|no) \\|"
        "peak RSS per customer, largest run \\| [0-9]+ B \\| <= 200 B \\| (yes|no) \\|"
        "engine / roofline floor, set-up and HDF5 included \\| [0-9]+\\.[0-9][0-9]x \\| <= 3x \\| (yes|no) \\|")
  smoke_expect(targets.sh "${out}" "\n\\| ${row}\n" "row matching '${row}'")
endforeach()
# The parts of the roofline ratio, below the table.
set(parts "floor [0-9.]+ ns per customer-step \\(draws [0-9.]+, of them block 1 [0-9.]+; state [0-9.]+ at [0-9.]+ GB/s read\\+write, of it far neighbours [0-9.]+\\); engine [0-9.]+ ns stepping \\([0-9.]+x\\), [0-9.]+ ns with set-up and HDF5 \\([0-9.]+x\\); against the lower bound of block 0 and the stream \\([0-9.]+ ns\\), [0-9.]+x\\.")
smoke_expect(targets.sh "${out}" "\nRoofline, medians of bench_roofline: ${parts}\n" "the roofline's parts")
# With taskset, one thread also pinned to one CPU: its rate, the two-thread ratio to it, its roofline ratio.
find_program(TASKSET taskset)
if(TASKSET)
  foreach(row
          "customer-steps/s end to end, 1 thread \\| [^\n]*\n\\| the same, pinned to one CPU \\| [0-9]+\\.[0-9][0-9] M \\([0-9.]+-[0-9.]+\\) \\| >= 35 M \\| (yes|no) \\|"
          "2 threads / 1 thread pinned to one CPU \\| [0-9]+\\.[0-9][0-9]x \\([0-9.]+-[0-9.]+\\) \\| >= 1\\.85x \\| (yes|no) \\|"
          "engine / roofline floor, set-up and HDF5 included \\| [^\n]*\n\\| the same, pinned to one CPU \\| [0-9]+\\.[0-9][0-9]x \\| <= 3x \\| (yes|no) \\|")
    smoke_expect(targets.sh "${out}" "\\| ${row}\n" "row matching '${row}'")
  endforeach()
  smoke_expect(targets.sh "${out}" "\nPinned to one CPU: ${parts}\n" "the pinned roofline's parts")
endif()
smoke_refuses("targets.sh --steps x" "--steps needs a positive integer, got 'x'" bash ${SCRIPT} --bench-dir ${DIR}
              --steps x)
