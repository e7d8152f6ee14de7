// Test of the Down There patch in prune.go; not part of the upstream module.

package onnxbackend

import "testing"

// TestLiveNodesDropsUnreadNodes builds a function whose returns read an
// Add and, through the placeholder of its second output, a two-output
// MaxPool, and checks that exactly the nodes they depend on are live.
func TestLiveNodesDropsUnreadNodes(t *testing.T) {
	param := &Node{name: "p", opType: "Parameter"}
	constant := &Node{name: "const_1", opType: "Constant"}
	add := &Node{name: "add", opType: "Add", inputs: []*Node{param, constant}}
	deadMul := &Node{name: "dead_mul", opType: "Mul", inputs: []*Node{add, param}}
	deadNeg := &Node{name: "dead_neg", opType: "Neg", inputs: []*Node{deadMul}}
	pool := &Node{name: "pool_y", opType: "MaxPool", inputs: []*Node{param}, outputNames: []string{"pool_y", "pool_idx"}}
	indices := &Node{name: "pool_idx"} // placeholder for the second output, not in fn.nodes
	gather := &Node{name: "gather", opType: "GatherElements", inputs: []*Node{add, indices}}

	fn := &Function{
		nodes:   []*Node{param, constant, add, deadMul, deadNeg, pool, gather},
		returns: []*Node{add, gather},
	}
	live := liveNodes(fn)

	for _, n := range []*Node{param, constant, add, pool, gather} {
		if !live[n] {
			t.Errorf("node %s is dropped, but a return depends on it", n.name)
		}
	}
	for _, n := range []*Node{deadMul, deadNeg} {
		if live[n] {
			t.Errorf("node %s is kept, but no return depends on it", n.name)
		}
	}
}
