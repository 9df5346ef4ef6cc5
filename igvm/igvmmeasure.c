/*
 * igvmmeasure: the SEV-SNP launch digest (the MEASUREMENT a report will carry) of an IGVM
 * file as QEMU/KVM launch it (igvm/igvm_measure.h).
 *
 * Usage: igvmmeasure [--vcpus N] [--ap-vmsa FILE] [--check-kvm] [--quiet] FILE.igvm
 *   --vcpus N       KVM measures one VMSA per vCPU (default 1); vCPUs 1.. use --ap-vmsa
 *   --ap-vmsa FILE  the 4096-byte VMSA KVM makes for the APs from QEMU's reset state
 *                   (without it, a zero page is assumed and a warning printed)
 *   --check-kvm     also enforce QEMU/KVM's rules for the file (exit 1 when broken)
 *   --quiet         print only the digest
 * Output: "launch digest (SEV-SNP, N vCPU): <96 hex digits>" and the page counts.
 * Exit status: 0 ok, 1 invalid file or rule broken, 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "igvm/igvm_measure.h"
#include "igvm/igvm_parse.h"

static int usage(FILE *out, int rc)
{
	fprintf(out, "usage: igvmmeasure [--vcpus N] [--ap-vmsa FILE] [--check-kvm] [--quiet] "
		     "FILE.igvm\n");
	return rc;
}

int main(int argc, char **argv)
{
	struct igvm_measure_opts o = { .vcpus = 1, .ap_vmsa = NULL };
	struct igvm_measure_stats st;
	struct igvm_error err = { 0 };
	struct igvm_file f;
	const char *path = NULL, *ap_path = NULL;
	uint8_t *data = NULL, *ap = NULL;
	uint8_t digest[IGVM_MEASURE_DIGEST_SIZE];
	size_t size = 0, ap_size = 0;
	int check = 0, quiet = 0;
	char msg[256];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--vcpus") && i + 1 < argc) {
			char *end;
			unsigned long v = strtoul(argv[++i], &end, 10);

			if (*end || v == 0 || v > 4096) {
				fprintf(stderr, "igvmmeasure: --vcpus wants 1..4096\n");
				return 2;
			}
			o.vcpus = (uint32_t)v;
		} else if (!strcmp(argv[i], "--ap-vmsa") && i + 1 < argc) {
			ap_path = argv[++i];
		} else if (!strcmp(argv[i], "--check-kvm")) {
			check = 1;
		} else if (!strcmp(argv[i], "--quiet")) {
			quiet = 1;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			return usage(stdout, 0);
		} else if (argv[i][0] == '-' || path != NULL) {
			return usage(stderr, 2);
		} else {
			path = argv[i];
		}
	}
	if (path == NULL) {
		return usage(stderr, 2);
	}
	if (igvm_read_file(path, 0xFFFFFFFFu, &data, &size, msg, sizeof(msg)) != 0) {
		fprintf(stderr, "igvmmeasure: %s: %s\n", path, msg);
		return 1;
	}
	if (ap_path != NULL) {
		if (igvm_read_file(ap_path, 4096, &ap, &ap_size, msg, sizeof(msg)) != 0 ||
		    ap_size != 4096) {
			fprintf(stderr, "igvmmeasure: %s: not a 4096-byte VMSA\n", ap_path);
			return 1;
		}
		o.ap_vmsa = ap;
	} else if (o.vcpus > 1 && !quiet) {
		fprintf(stderr, "igvmmeasure: warning: no --ap-vmsa: the %u AP VMSAs are measured as "
				"zero pages, which is not what KVM measures\n",
			o.vcpus - 1);
	}
	if (igvm_parse(data, size, &f, &err) != 0 ||
	    igvm_measure_snp(&f, &o, digest, &st, &err) != 0 ||
	    (check && igvm_measure_kvm_check(&f, &err) != 0)) {
		fprintf(stderr, "igvmmeasure: %s: offset 0x%llx: %s\n", path,
			(unsigned long long)err.offset, err.reason);
		free(data);
		free(ap);
		return 1;
	}
	if (!quiet) {
		printf("launch digest (SEV-SNP, %u vCPU): ", o.vcpus);
	}
	for (size_t i = 0; i < sizeof(digest); i++) {
		printf("%02x", digest[i]);
	}
	printf("\n");
	if (!quiet) {
		printf("pages: %llu normal, %llu zero (measured as normal), %llu unmeasured, %llu "
		       "secrets, %llu cpuid, %llu vmsa%s\n",
		       (unsigned long long)st.normal, (unsigned long long)st.zero,
		       (unsigned long long)st.unmeasured, (unsigned long long)st.secrets,
		       (unsigned long long)st.cpuid, (unsigned long long)st.vmsa,
		       check ? "; QEMU/KVM rules: ok" : "");
	}
	free(data);
	free(ap);
	return 0;
}
