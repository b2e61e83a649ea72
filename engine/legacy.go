package engine

// legacyOptional names the modules whose option and result structs still say "required" with
// lua:",required" (every other field optional), as Module.LegacyOptional does: the AWS modules
// until they are converted to "required unless omitempty". A module leaves this list in the
// commit that converts its structs; the list and LegacyOptional go with the last one.
var legacyOptional = map[string]bool{}
