// cuframe/cuframe.hpp — everything public, in one include.
#pragma once

#include "cuframe/cuda_stream.hpp"
#include "cuframe/decoder.hpp"
#include "cuframe/demuxer.hpp"
#include "cuframe/device.hpp"
#include "cuframe/error.hpp"
#include "cuframe/frame.hpp"
#include "cuframe/input.hpp"
#include "cuframe/limits.hpp"
#include "cuframe/log.hpp"
#include "cuframe/media_info.hpp"
#include "cuframe/ops.hpp"
#include "cuframe/output_file.hpp"
#include "cuframe/probe.hpp"
#include "cuframe/resident.hpp"
#include "cuframe/version.hpp"
