"""The Hugging Face Hub front-end: the HTTP surface ``huggingface_hub`` (and the ``hf`` CLI,
transformers and datasets on top of it) speaks, mounted at ``/hf`` so that
``HF_ENDPOINT=http://host:port/hf`` points unchanged clients at Weighthouse.

It only translates: every route calls the same use cases as the REST API, and the same
permission service decides (see ``../../README.md``).
"""
