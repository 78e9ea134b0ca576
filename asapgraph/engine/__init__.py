"""The execution engine: partitioned blocks, shared-memory workers, BSP and ASAP rounds."""
