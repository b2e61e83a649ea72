package engine

// Resolver finds recipes: the project's recipes/NAME.lua first, then the stock recipe.
type Resolver struct{}
