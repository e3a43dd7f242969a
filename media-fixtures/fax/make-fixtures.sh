#!/bin/sh
# Regenerates the fax test documents in this directory from PostScript with ghostscript.
# Output is deterministic enough for tests (they check content, not bytes).
# received-fax-spandsp-g3-2d-fine-2p.tif is not generated: it is a real fax received by
# Asterisk 22 ReceiveFAX (spandsp), G3 2-D, EOL padding, FillOrder 2, 2 pages.
set -eu
cd "$(dirname "$0")"

PDF="gs -q -dNOPAUSE -dBATCH -dSAFER -sDEVICE=pdfwrite -dCompatibilityLevel=1.4"

# The words of the legibility page; tests read them back with OCR.
cat > text-10pt.txt <<'EOF'
The quick brown fox jumps over the lazy dog while seven
wizards quietly judge boxing matches near the harbour.
Invoice number 40571 is due on the fourteenth of March.
Please sign the enclosed contract and return both copies
to our office before the end of the month. Thank you.
Meeting notes: budget review, hiring plan, server upgrade,
customer feedback, quarterly targets and travel policy.
EOF

# One A4 page of 10-point Times-Roman.
{
  echo '%!PS'
  echo '<< /PageSize [595 842] >> setpagedevice'
  echo '/Times-Roman findfont 10 scalefont setfont'
  y=760
  while IFS= read -r line; do
    echo "72 $y moveto ($line) show"
    y=$((y - 14))
  done < text-10pt.txt
  echo 'showpage'
} > /tmp/ringside-text-10pt.ps
$PDF -sOutputFile=text-10pt.pdf /tmp/ringside-text-10pt.ps

# Ten mixed pages: text in several sizes, rules and boxes, a grey ramp and a
# synthetic photo, one landscape page, one Letter page.
cat > /tmp/ringside-mixed.ps <<'EOF'
%!PS
/page { % n -> draws a page numbered n
  /n exch def
  /Helvetica-Bold findfont 24 scalefont setfont
  72 770 moveto (Fax test page ) show n 3 string cvs show
  /Times-Roman findfont 11 scalefont setfont
  0 1 24 {
    /i exch def
    72 730 i 14 mul sub moveto
    (Line ) show i 3 string cvs show
    (: the quick brown fox jumps over the lazy dog 0123456789.) show
  } for
  2 setlinewidth 72 360 451 -300 rectstroke
  0.5 setlinewidth 72 100 moveto 523 100 lineto stroke
  gsave 90 120 translate 200 200 scale
    256 1 8 [256 0 0 1 0 0] { 256 string 0 1 255 { 1 index exch dup put } for } image
  grestore
  gsave 320 120 translate 180 180 scale
    64 64 8 [64 0 0 64 0 0]
    { 64 string 0 1 63 { /x exch def dup x
        x 32 sub dup mul rowno 32 sub dup mul add sqrt 4 mul 255 exch sub
        dup 0 lt { pop 0 } if cvi put } for /rowno rowno 1 add def }
    /rowno 0 def image
  grestore
  showpage
} def
<< /PageSize [595 842] >> setpagedevice
1 page 2 page 3 page 4 page
<< /PageSize [842 595] >> setpagedevice
/Helvetica findfont 18 scalefont setfont
72 500 moveto (Landscape page 5: this line runs along the long edge.) show
72 72 698 380 rectstroke
showpage
<< /PageSize [595 842] >> setpagedevice
6 page 7 page 8 page
<< /PageSize [612 792] >> setpagedevice
9 page 10 page
EOF
$PDF -sOutputFile=mixed-10p.pdf /tmp/ringside-mixed.ps

# A single page 200 inches long (14400 pt, the largest a PDF page may be).
printf '%%!PS\n<< /PageSize [612 14400] >> setpagedevice\n/Helvetica findfont 12 scalefont setfont\n72 14300 moveto (A very long page) show\nshowpage\n' \
  > /tmp/ringside-long.ps
$PDF -sOutputFile=long-page-200in.pdf /tmp/ringside-long.ps

# The legibility page, protected with a user password.
$PDF -sOwnerPassword=owner-secret -sUserPassword=user-secret -dEncryptionR=3 -dKeyLength=128 \
  -sOutputFile=encrypted.pdf /tmp/ringside-text-10pt.ps

rm -f /tmp/ringside-text-10pt.ps /tmp/ringside-mixed.ps /tmp/ringside-long.ps
ls -l
