# CMake helpers shared by the library, tests, benchmarks and tools.

# Turns on the project's warning set for TARGET (and -Werror with SHRINK_WERROR).
function(shrink_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter)
  # SIMD kernels must match their scalar twins bit for bit: no silent a*b+c fusion.
  target_compile_options(${target} PRIVATE -ffp-contract=off)
  if(SHRINK_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
