# ctest bench.roofline_smoke: runs bench_roofline at a tiny size and checks only that it exits 0 and prints
# the roofline ratio. cmake -DEXE=<bench_roofline> -DARGS="<arguments>" -P roofline_smoke.cmake
separate_arguments(args UNIX_COMMAND "${ARGS}")
execute_process(COMMAND ${EXE} ${args} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "bench_roofline exited with ${rc}")
endif()
if(NOT out MATCHES "ratio engine/floor +[0-9.]+ x")
  message(FATAL_ERROR "bench_roofline printed no 'ratio engine/floor' line")
endif()
