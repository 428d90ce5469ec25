/* cuframe virtual GPU: <cuda_runtime.h> of the virtual-gpu build (the runtime API; the
 * device-side language is in cuframe_vgpu/kernel.hpp, force-included into the kernels). */
#pragma once

#include "cuda_runtime_api.h"
