CREATE TABLE `raft_entries` (
	`idx` integer PRIMARY KEY NOT NULL,
	`term` integer NOT NULL,
	`type` integer NOT NULL,
	`data` blob NOT NULL
);
--> statement-breakpoint
CREATE TABLE `raft_hard_state` (
	`id` integer PRIMARY KEY NOT NULL,
	`term` integer NOT NULL,
	`vote` integer NOT NULL,
	`commit_index` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `raft_meta` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `raft_snapshot` (
	`id` integer PRIMARY KEY NOT NULL,
	`idx` integer NOT NULL,
	`term` integer NOT NULL,
	`conf_state` text NOT NULL,
	`data` blob NOT NULL,
	`created_at` integer NOT NULL
);
