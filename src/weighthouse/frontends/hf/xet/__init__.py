"""The Xet upload protocol that ``hf_xet`` speaks: the wire formats (:mod:`.hashes`,
:mod:`.xorbs`, :mod:`.shards`), the CAS routes (:mod:`.cas`) and the rebuilding of each
uploaded file into an ordinary blob (:mod:`.rebuild`). Downloads never use Xet."""
