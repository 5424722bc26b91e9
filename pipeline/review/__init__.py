"""The researcher's validation loop (`stancewire review`, docs/review.md).

sample.py       draw a stratified sample of statements (or quotes) into a review CSV
corrections.py  check a coder's filled CSV and store it as a corrections file under
                data/corrections/ (an input of the pipeline); read those files back
apply.py        the stage after stance coding: `stances` = the coder-corrected
                `coded_stances`, the `review_verdicts` table, actor merges and renames
agreement.py    precision with Wilson intervals, Cohen's kappa, Krippendorff's alpha
"""
