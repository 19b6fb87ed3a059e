"""Instruments: symbol search, CUSIP lookup and fundamentals."""
