// Dead-node elimination, added by the Down There project; not part of the
// upstream module. See PATCHES.md.

package onnxbackend

// liveNodes returns the nodes of fn that at least one of its returns
// depends on.
//
// Reverse-mode autodiff builds the gradient of every operand of an op, also
// of operands whose gradient nobody reads: the kernel of a convolution whose
// weights are frozen, or the input of a first layer fed with data. ONNX
// Runtime (1.29) runs every node of the model it is given, so such nodes
// cost as much as live ones. Names are followed rather than pointers,
// because a multi-output op is consumed through a placeholder node that
// only carries the name of its second output.
func liveNodes(fn *Function) map[*Node]bool {
	producer := make(map[string]*Node, len(fn.nodes))
	for _, n := range fn.nodes {
		producer[n.name] = n
		for _, out := range n.outputNames {
			producer[out] = n
		}
	}

	live := make(map[*Node]bool, len(fn.nodes))
	pending := make([]string, 0, len(fn.returns))
	for _, r := range fn.returns {
		pending = append(pending, r.name)
	}
	for len(pending) > 0 {
		name := pending[len(pending)-1]
		pending = pending[:len(pending)-1]
		n := producer[name]
		if n == nil || live[n] {
			continue
		}
		live[n] = true
		for _, in := range n.inputs {
			pending = append(pending, in.name)
		}
	}
	return live
}
