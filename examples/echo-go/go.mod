module echo

go 1.22
