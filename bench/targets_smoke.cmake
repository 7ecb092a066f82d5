# ctest bench.targets_smoke: runs bench/targets.sh at a tiny size and checks the shape of the table it
# prints (no timings): the header, the five figures each with a value and, where there is one, its
# target and a yes/no (and the three pinned to one CPU, where taskset is); and that a bad option fails
# with a message.
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
# With taskset, one thread also pinned to one CPU: its rate, the two-thread ratio to it, its roofline ratio.
find_program(TASKSET taskset)
if(TASKSET)
  foreach(row
          "customer-steps/s end to end, 1 thread \\| [^\n]*\n\\| the same, pinned to one CPU \\| [0-9]+\\.[0-9][0-9] M \\([0-9.]+-[0-9.]+\\) \\| >= 35 M \\| (yes|no) \\|"
          "2 threads / 1 thread pinned to one CPU \\| [0-9]+\\.[0-9][0-9]x \\([0-9.]+-[0-9.]+\\) \\| >= 1\\.85x \\| (yes|no) \\|"
          "engine / roofline floor, set-up and HDF5 included \\| [^\n]*\n\\| the same, pinned to one CPU \\| [0-9]+\\.[0-9][0-9]x \\| <= 3x \\| (yes|no) \\|")
    smoke_expect(targets.sh "${out}" "\\| ${row}\n" "row matching '${row}'")
  endforeach()
endif()
smoke_refuses("targets.sh --steps x" "--steps needs a positive integer, got 'x'" bash ${SCRIPT} --bench-dir ${DIR}
              --steps x)
