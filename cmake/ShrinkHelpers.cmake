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

# Compiles src/linalg/dense_variant.cxx once per instruction set (baseline, AVX2+FMA, AVX-512)
# into TARGET; src/linalg/dense.cc picks one at run time. Each copy renames Eigen's namespace
# so that no template instance compiled for a wider instruction set is shared with other code.
function(shrink_add_dense_variants target)
  set(variants baseline avx2 avx512)
  set(flags_baseline "")
  set(flags_avx2 -mavx2 -mfma -mf16c)
  set(flags_avx512 -mavx512f -mavx512vl -mavx512dq -mavx512bw -mavx2 -mfma -mf16c)
  foreach(variant IN LISTS variants)
    set(object shrink_dense_${variant})
    add_library(${object} OBJECT ${PROJECT_SOURCE_DIR}/src/linalg/dense_variant.cxx)
    set_target_properties(${object} PROPERTIES POSITION_INDEPENDENT_CODE ON)
    target_include_directories(${object} PRIVATE ${PROJECT_SOURCE_DIR})
    target_link_libraries(${object} PRIVATE Eigen3::Eigen OpenMP::OpenMP_CXX)
    target_compile_features(${object} PRIVATE cxx_std_17)
    target_compile_definitions(${object} PRIVATE SHRINK_DENSE_NS=${variant} Eigen=ShrinkEigen_${variant})
    target_compile_options(${object} PRIVATE ${flags_${variant}} -Wall -Wextra -Wno-unused-parameter
      -Wno-maybe-uninitialized)  # GCC 12 false positives inside Eigen's AVX-512 code
    if(SHRINK_SANITIZE)
      target_compile_options(${object} PRIVATE ${SHRINK_SANITIZE_FLAGS})
    endif()
    target_sources(${target} PRIVATE $<TARGET_OBJECTS:${object}>)
  endforeach()
endfunction()
