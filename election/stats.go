package election

// Stats is a snapshot of an Election's counters and state.
type Stats struct {
	Role     RoleKind
	Epoch    uint64 // current (persisted) epoch
	VotedFor string // vote in Epoch, if any

	ElectionsStarted uint64 // real claims (after a successful pre-vote)
	ElectionsWon     uint64
	PreVotesLost     uint64 // claims abandoned before bumping the epoch
	StepDowns        uint64
	LostContact      uint64 // step-downs because the lease could not be renewed
	VotesGranted     uint64 // real votes granted to candidates

	Members int // in the gossip view, this node included
	Alive   int
}
