module netboot/matchbox-standin

go 1.19
