/* The measured firmware descriptor and the host-supplied staging address. */
#include "kernel/firmware.h"
#include "tests/ktest/ktest.h"

static struct boot_firmware_info good_info(void)
{
	return (struct boot_firmware_info){
		.magic = BOOT_FIRMWARE_INFO_MAGIC,
		.version = BOOT_FIRMWARE_INFO_VERSION,
		.gpa = 0x100000000ull - 0x200000,
		.size = 0x200000,
		.reset_vector_gpa = 0x100000000ull - 16,
		.flags = BOOT_FIRMWARE_FLAG_MEASURED,
		.crc32 = 0x12345678,
	};
}

KTEST(firmware_info, accepts_a_descriptor_and_no_firmware)
{
	struct boot_firmware_info info = good_info();
	struct firmware_image fw;

	ASSERT_EQ(firmware_parse_info(&info, &fw), FIRMWARE_OK);
	EXPECT_TRUE(fw.present);
	EXPECT_EQ(fw.backing, fw.gpa);
	EXPECT_FALSE(fw.staged);
	EXPECT_EQ(fw.crc32, 0x12345678);
	info = (struct boot_firmware_info){ .magic = BOOT_FIRMWARE_INFO_MAGIC,
					    .version = BOOT_FIRMWARE_INFO_VERSION };
	ASSERT_EQ(firmware_parse_info(&info, &fw), FIRMWARE_OK);
	EXPECT_FALSE(fw.present);
}

KTEST(firmware_info, refuses_inconsistent_descriptors)
{
	struct boot_firmware_info info = good_info();
	struct firmware_image fw;

	info.magic ^= 1;
	EXPECT_EQ(firmware_parse_info(&info, &fw), FIRMWARE_ERR_MAGIC);
	info = good_info();
	info.version = 1; /* version 1 had no declared pages: no longer accepted */
	EXPECT_EQ(firmware_parse_info(&info, &fw), FIRMWARE_ERR_MAGIC);
	info = good_info();
	info.gpa -= 0x1000; /* does not end at 4 GiB */
	EXPECT_EQ(firmware_parse_info(&info, &fw), FIRMWARE_ERR_LAYOUT);
	info = good_info();
	info.size = 0x2000000;
	info.gpa = 0x100000000ull - info.size; /* 32 MiB: too large */
	EXPECT_EQ(firmware_parse_info(&info, &fw), FIRMWARE_ERR_LAYOUT);
	info = good_info();
	info.reset_vector_gpa -= 16;
	EXPECT_EQ(firmware_parse_info(&info, &fw), FIRMWARE_ERR_LAYOUT);
	info = good_info();
	info.flags |= 0x80;
	EXPECT_EQ(firmware_parse_info(&info, &fw), FIRMWARE_ERR_LAYOUT);
	info = good_info();
	info.caa_gpa = 0x80f000; /* a calling area without a secrets page */
	EXPECT_EQ(firmware_parse_info(&info, &fw), FIRMWARE_ERR_LAYOUT);
	info = good_info();
	info.secrets_gpa = 0x80d800; /* unaligned */
	EXPECT_EQ(firmware_parse_info(&info, &fw), FIRMWARE_ERR_LAYOUT);
	info = good_info();
	info.secrets_gpa = 0x10002000; /* in Bastion's region */
	EXPECT_EQ(firmware_parse_info(&info, &fw), FIRMWARE_ERR_LAYOUT);
	info = good_info();
	info.cpuid_gpa = info.gpa; /* inside the image */
	EXPECT_EQ(firmware_parse_info(&info, &fw), FIRMWARE_ERR_LAYOUT);
	info = good_info();
	info.secrets_gpa = 0x80d000;
	info.cpuid_gpa = 0x80d000; /* the same page twice */
	EXPECT_EQ(firmware_parse_info(&info, &fw), FIRMWARE_ERR_LAYOUT);
	info = good_info();
	info.secrets_gpa = 0x80d000;
	info.cpuid_gpa = 0x80e000;
	info.caa_gpa = 0x80f000;
	EXPECT_EQ(firmware_parse_info(&info, &fw), FIRMWARE_OK);
	EXPECT_EQ(fw.secrets_gpa, 0x80d000u);
	EXPECT_EQ(fw.cpuid_gpa, 0x80e000u);
	EXPECT_EQ(fw.caa_gpa, 0x80f000u);
	info = (struct boot_firmware_info){ .magic = BOOT_FIRMWARE_INFO_MAGIC,
					    .version = BOOT_FIRMWARE_INFO_VERSION,
					    .gpa = 0x1000 };
	EXPECT_EQ(firmware_parse_info(&info, &fw), FIRMWARE_ERR_LAYOUT); /* "none" with a gpa */
	EXPECT_FALSE(fw.present);
}

KTEST(firmware_info, staging_string)
{
	uint64_t v = 0;

	EXPECT_TRUE(firmware_parse_staging("0x1fe00000", &v));
	EXPECT_EQ(v, 0x1FE00000);
	EXPECT_TRUE(firmware_parse_staging("0X1FE00000\n", &v));
	EXPECT_FALSE(firmware_parse_staging("1fe00000", &v));
	EXPECT_FALSE(firmware_parse_staging("0x", &v));
	EXPECT_FALSE(firmware_parse_staging("0x12g", &v));
	EXPECT_FALSE(firmware_parse_staging("0x12345678123456789", &v)); /* 17 digits */
	EXPECT_FALSE(firmware_parse_staging("0x10\nx", &v));
	EXPECT_FALSE(firmware_parse_staging("", &v));
}
