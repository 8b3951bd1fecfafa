"""Demo seed of 행복-맵: real 서대문구 boundaries and facilities, synthetic tracts and households."""
