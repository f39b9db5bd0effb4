// Self-relative security descriptors, ACLs, ACEs, SIDs (work in progress).
export {};
