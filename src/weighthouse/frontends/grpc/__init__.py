"""The gRPC front-end: the model catalog's own API (``model_catalog.ModelCatalog``), served by
``weighthouse serve`` on a port of its own (``grpc.*`` settings, see ``grpc_listener``)."""
