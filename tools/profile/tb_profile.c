// SPDX-License-Identifier: GPL-2.0
/*
 * tb_profile: a QEMU TCG plugin that counts the guest instructions each
 * translation block executes inside measurement windows, for `make
 * profile`. The guest opens and closes window A by entering the kernel
 * function at address a=, window B at b= (pair_bench calls
 * sched_get_priority_max() around the part of a row it times for iommufd-rs,
 * sched_get_priority_min() for upstream; nothing else calls them). So the
 * profile covers exactly what the benchmark times, instruction for
 * instruction what -icount counts, and nothing of the setup around it.
 *
 * Usage: -plugin tb_profile.so,a=0xADDR,b=0xADDR,out=FILE -d plugin
 * FILE gets one line per block that ran in a window: "pc insns A B", A and
 * B the instructions it executed in each window. Each window edge is also
 * written to QEMU's log (qemu_plugin_outs), where it falls between the trace
 * events QEMU logs (the SMMU model's commands, with -trace smmuv3_cmdq_opcode),
 * so those can be counted per window too.
 *
 * Locking: one mutex guards the block table and the window state; the
 * counters themselves are per-vCPU scoreboard entries QEMU adds to inline.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

/* One translated block, identified by its start address and length. */
struct block {
	uint64_t pc;
	uint64_t insns;
	struct qemu_plugin_scoreboard *execs;	/* per vCPU: times executed */
	uint64_t snap;				/* executions when the window opened */
	uint64_t in[2];				/* executions inside windows A and B */
	struct block *next;			/* hash chain */
};

#define BUCKETS (1u << 16)

static struct block *table[BUCKETS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t mark[2];
static int open_window = -1;
static unsigned long windows[2];
static const char *out_path = "tb_profile.out";

static unsigned int bucket(uint64_t pc, uint64_t insns)
{
	return (unsigned int)((pc >> 2) ^ (pc >> 18) ^ insns) & (BUCKETS - 1);
}

static uint64_t executions(struct block *b)
{
	return qemu_plugin_u64_sum(qemu_plugin_scoreboard_u64(b->execs));
}

/* Entering a marker function: opens its window, or closes it. */
static void on_mark(unsigned int vcpu, void *udata)
{
	int w = (int)(uintptr_t)udata;
	char line[96];

	(void)vcpu;
	pthread_mutex_lock(&lock);
	if (open_window == -1) {
		for (unsigned int i = 0; i < BUCKETS; i++)
			for (struct block *b = table[i]; b; b = b->next)
				b->snap = executions(b);
		open_window = w;
		snprintf(line, sizeof(line), "tb_profile: window %c open\n", 'A' + w);
		qemu_plugin_outs(line);
	} else if (open_window == w) {
		for (unsigned int i = 0; i < BUCKETS; i++)
			for (struct block *b = table[i]; b; b = b->next)
				b->in[w] += executions(b) - b->snap;
		open_window = -1;
		windows[w]++;
		snprintf(line, sizeof(line), "tb_profile: window %c closed\n", 'A' + w);
		qemu_plugin_outs(line);
	}
	pthread_mutex_unlock(&lock);
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	uint64_t pc = qemu_plugin_tb_vaddr(tb);
	uint64_t insns = qemu_plugin_tb_n_insns(tb);
	unsigned int h = bucket(pc, insns);
	struct block *b;

	(void)id;
	pthread_mutex_lock(&lock);
	for (b = table[h]; b; b = b->next)
		if (b->pc == pc && b->insns == insns)
			break;
	if (!b) {
		b = calloc(1, sizeof(*b));
		if (!b) {
			pthread_mutex_unlock(&lock);
			return;
		}
		b->pc = pc;
		b->insns = insns;
		b->execs = qemu_plugin_scoreboard_new(sizeof(uint64_t));
		b->next = table[h];
		table[h] = b;
		/* A block born inside a window counts from zero. */
		b->snap = 0;
	}
	pthread_mutex_unlock(&lock);
	qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu(
		tb, QEMU_PLUGIN_INLINE_ADD_U64,
		qemu_plugin_scoreboard_u64(b->execs), 1);
	for (size_t i = 0; i < insns; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		uint64_t va = qemu_plugin_insn_vaddr(insn);

		for (int w = 0; w < 2; w++)
			if (mark[w] && va == mark[w])
				qemu_plugin_register_vcpu_insn_exec_cb(
					insn, on_mark, QEMU_PLUGIN_CB_NO_REGS,
					(void *)(uintptr_t)w);
	}
}

static void on_exit_(qemu_plugin_id_t id, void *p)
{
	FILE *f = fopen(out_path, "w");
	char line[128];

	(void)id;
	(void)p;
	if (!f) {
		qemu_plugin_outs("tb_profile: cannot write the output file\n");
		return;
	}
	fprintf(f, "# windows A %lu B %lu\n", windows[0], windows[1]);
	for (unsigned int i = 0; i < BUCKETS; i++)
		for (struct block *b = table[i]; b; b = b->next)
			if (b->in[0] || b->in[1])
				fprintf(f, "%" PRIx64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
					b->pc, b->insns, b->in[0] * b->insns,
					b->in[1] * b->insns);
	fclose(f);
	snprintf(line, sizeof(line), "tb_profile: %lu A and %lu B windows written\n",
		 windows[0], windows[1]);
	qemu_plugin_outs(line);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
					   int argc, char **argv)
{
	(void)info;
	for (int i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "a=", 2))
			mark[0] = strtoull(argv[i] + 2, NULL, 0);
		else if (!strncmp(argv[i], "b=", 2))
			mark[1] = strtoull(argv[i] + 2, NULL, 0);
		else if (!strncmp(argv[i], "out=", 4))
			out_path = argv[i] + 4;
		else
			return -1;
	}
	if (!mark[0] || !mark[1])
		return -1;
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
	qemu_plugin_register_atexit_cb(id, on_exit_, NULL);
	return 0;
}
