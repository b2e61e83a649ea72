return recipe {
  description = "placeholder",
  lock = false,
  run = function(args) return {} end,
}
