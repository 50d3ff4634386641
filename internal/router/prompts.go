package router

// Prompts the router plays on its own. Each is in Debian's asterisk-core-sounds-en and -ru
// packages (cmd/switchboard's TestPromptsExistInBothLanguages checks): a missing one is
// silence for the caller. Neither language has "an-error-has-occurred", and Russian has
// "pls-try-call-later" where English has "please-try-call-later".
const (
	// promptSorry ends a call the router could not serve as asked: "I'm sorry. Please try again."
	promptSorry = "sound:im-sorry,sound:please-try-again"
	// promptClosed is a closed DID's message when its hours name none.
	promptClosed = promptSorry
)
