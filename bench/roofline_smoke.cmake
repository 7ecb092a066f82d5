# ctest bench.roofline_smoke: runs bench_roofline at a tiny size and checks only that it exits 0 and prints
# the roofline ratio. cmake -DEXE=<bench_roofline> -DARGS="<arguments>" -P roofline_smoke.cmake
include(${CMAKE_CURRENT_LIST_DIR}/smoke.cmake)
separate_arguments(args UNIX_COMMAND "${ARGS}")
smoke_run(bench_roofline out ${EXE} ${args})
smoke_expect(bench_roofline "${out}" "ratio engine/floor +[0-9.]+ x" "'ratio engine/floor' line")
